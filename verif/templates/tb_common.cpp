// Helpers shared by the generated testbenches (tb.cpp, tb_system.cpp): exit codes, the DRAM
// pacing k_i of docs/TIMING.md, byte moves between buffers and Verilator signals, files, contract
// violations. Included by askama; it needs BYTES_PER_CYCLE defined before it.
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_VIOLATION = 2, EXIT_TIMEOUT = 3 };

// k_i = max(floor(i/p), ceil((i+1)*b/W) - 1): p words per cycle at most (p = dram.words_per_cycle,
// for LOADs and STOREs alike)
static uint64_t k_of(uint64_t i, uint64_t b, uint64_t p) {
    uint64_t c = ((i + 1) * b + BYTES_PER_CYCLE - 1) / BYTES_PER_CYCLE - 1;
    return c > i / p ? c : i / p;
}

template <typename T>
static typename std::enable_if<std::is_integral<T>::value>::type put_bytes(T& sig, const uint8_t* src, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < sizeof(T); ++i) v |= uint64_t(src[i]) << (8 * i);
    sig = static_cast<T>(v);
}
template <std::size_t W>
static void put_bytes(VlWide<W>& sig, const uint8_t* src, size_t n) {
    for (size_t w = 0; w < W; ++w) sig[w] = 0;
    for (size_t i = 0; i < n && i < 4 * W; ++i) sig[i / 4] |= uint32_t(src[i]) << (8 * (i % 4));
}
template <typename T>
static typename std::enable_if<std::is_integral<T>::value>::type get_bytes(const T& sig, uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = i < sizeof(T) ? uint8_t(uint64_t(sig) >> (8 * i)) : 0;
}
template <std::size_t W>
static void get_bytes(const VlWide<W>& sig, uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = i < 4 * W ? uint8_t(sig[i / 4] >> (8 * (i % 4))) : 0;
}

static bool read_file(const char* path, std::vector<uint8_t>& out) {
    FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    uint8_t buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
    bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

static bool write_file(const char* path, const void* data, size_t n) {
    FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    bool ok = std::fwrite(data, 1, n, f) == n;
    return std::fclose(f) == 0 && ok;
}

[[noreturn]] static void violation(uint64_t t, const std::string& msg) {
    std::fprintf(stderr, "CONTRACT VIOLATION at cycle %llu: %s\n", (unsigned long long)t, msg.c_str());
    std::exit(EXIT_VIOLATION);
}

static std::string fmt(const char* f, unsigned long long a, unsigned long long b = 0,
                       unsigned long long c = 0, unsigned long long d = 0, unsigned long long e = 0) {
    char buf[512];
    std::snprintf(buf, sizeof buf, f, a, b, c, d, e);
    return buf;
}

