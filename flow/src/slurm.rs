//! A search split over a Slurm cluster: batch scripts for an array job of shards and a dependent
//! merge, and their submission.
//!
//! What it does. [`write_scripts`] writes into one folder the run's effective search
//! configuration (`config.ron`), `shards.sbatch` (an array job: task `I` runs
//! `tessera search --shard I/N --checkpoint shard-I.journal --resume`), `merge.sbatch` (replays
//! every shard's journal and writes the result as `result.json`, through a temporary file and a
//! rename, and the Pareto front into `pareto/`) and `submit.sh` (submits the array, then the
//! merge with `--dependency=afterok` and `--kill-on-invalid-dep=yes`, so a failed shard cancels
//! the merge instead of leaving it pending).
//! [`submit`] does what `submit.sh` does. The merged result is the one-machine run's result, byte
//! for byte (see `tessera_search::journal`): shards only decide where evaluations are computed.
//!
//! What it leaves out: only the random strategy can be split (the others choose each batch from the
//! previous outcomes); the shards share nothing but the folder, which must be on a file system every
//! node sees; the scripts ask for one CPU per shard and no time limit, and leave partitions,
//! accounts and modules to the user (edit the `#SBATCH` lines, or pass `sbatch` options by hand).

use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_core::diag::{Diagnostic, Kind, Result};
use tessera_core::load::{to_ron_string, write_atomic};
use tessera_search::SearchConfig;

/// The most shards a run is split into (Slurm's default `MaxArraySize` is 1001).
pub const MAX_SHARDS: u32 = 1000;

/// What the scripts run.
#[derive(Clone, Debug)]
pub struct SlurmPlan {
    /// The folder the scripts, journals and result go to (made absolute).
    pub dir: PathBuf,
    pub shards: u32,
    /// The `tessera` executable the jobs run (absolute).
    pub exe: PathBuf,
    /// `--arch` and `--workload` as the user gave them (built-in names, or files made absolute).
    pub arch: String,
    pub workload: String,
    /// The effective search configuration (every flag applied).
    pub config: SearchConfig,
}

/// The files [`write_scripts`] wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SlurmFiles {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub shards_script: PathBuf,
    pub merge_script: PathBuf,
    pub submit_script: PathBuf,
    /// Where the merge writes the search result (JSON).
    pub result: PathBuf,
    pub journals: Vec<PathBuf>,
}

/// A word quoted for `sh`: `'...'` with every `'` written `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `name` as given when it is a built-in, else made absolute (the jobs may start elsewhere).
pub fn job_path(name: &str) -> Result<String> {
    let p = Path::new(name);
    if !p.exists() {
        return Ok(name.to_string());
    }
    std::path::absolute(p)
        .map(|a| a.display().to_string())
        .map_err(|e| Diagnostic::io(p, "cannot make the path absolute", &e))
}

/// Write the configuration and the three scripts into `plan.dir` (created when missing).
pub fn write_scripts(plan: &SlurmPlan) -> Result<SlurmFiles> {
    if plan.shards == 0 || plan.shards > MAX_SHARDS {
        return Err(Diagnostic::field(
            "--shards",
            format!("must be between 1 and {MAX_SHARDS}, got {}", plan.shards),
        ));
    }
    if !plan.config.strategy.ignores_outcomes() {
        return Err(Diagnostic::field(
            "--strategy",
            format!(
                "{}: {}",
                plan.config.strategy.name(),
                tessera_search::Strategy::SEQUENTIAL
            ),
        ));
    }
    std::fs::create_dir_all(&plan.dir)
        .map_err(|e| Diagnostic::io(&plan.dir, "cannot create the folder", &e))?;
    let dir = std::path::absolute(&plan.dir)
        .map_err(|e| Diagnostic::io(&plan.dir, "cannot make the path absolute", &e))?;
    // `%` starts a Slurm file-name pattern in --output; a newline would end a script line.
    if dir.to_string_lossy().contains(['%', '\n', '\r']) {
        return Err(Diagnostic::field(
            "--slurm",
            format!(
                "{:?}: the folder's path must not contain '%' or a line break (Slurm reads '%' \
                 in log file names as a pattern)",
                dir.display()
            ),
        ));
    }
    let n = plan.shards;
    let config = dir.join("config.ron");
    write_atomic(&config, to_ron_string(&plan.config)?.as_bytes())?;
    let q = |p: &Path| sh_quote(&p.display().to_string());
    let common = format!(
        "{} search --arch {} --workload {} --config {}",
        q(&plan.exe),
        sh_quote(&plan.arch),
        sh_quote(&plan.workload),
        q(&config)
    );
    let journals: Vec<PathBuf> = (0..n)
        .map(|i| dir.join(format!("shard-{i}.journal")))
        .collect();
    let shards_script = dir.join("shards.sbatch");
    write_atomic(
        &shards_script,
        format!(
            "#!/bin/sh\n\
             # One task per shard of the search; written by `tessera search --slurm`.\n\
             #SBATCH --job-name=tessera-shard\n\
             #SBATCH --array=0-{last}\n\
             #SBATCH --cpus-per-task=1\n\
             set -eu\n\
             exec {common} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" \\\n  \
             --checkpoint {dirq}/shard-\"$SLURM_ARRAY_TASK_ID\".journal --resume\n",
            last = n - 1,
            dirq = q(&dir),
        )
        .as_bytes(),
    )?;
    let result = dir.join("result.json");
    let merge_script = dir.join("merge.sbatch");
    let replay: Vec<String> = journals.iter().map(|j| q(j)).collect();
    write_atomic(
        &merge_script,
        format!(
            "#!/bin/sh\n\
             # Merge the shards' journals into the run's result; written by `tessera search --slurm`.\n\
             #SBATCH --job-name=tessera-merge\n\
             set -eu\n\
             {common} --replay {replay} --pareto {pareto} --json > {tmp}\n\
             mv {tmp} {res}\n",
            replay = replay.join(" "),
            pareto = q(&dir.join("pareto")),
            tmp = q(&dir.join("result.json.tmp")),
            res = q(&result),
        )
        .as_bytes(),
    )?;
    let submit_script = dir.join("submit.sh");
    write_atomic(
        &submit_script,
        format!(
            "#!/bin/sh\n\
             # Submit the shards, then the merge once every shard succeeded.\n\
             set -eu\n\
             cd {dirq}\n\
             array=$(sbatch --parsable --output=shard-%a.log shards.sbatch)\n\
             merge=$(sbatch --parsable --output=merge.log --dependency=afterok:\"${{array%%;*}}\" \
             --kill-on-invalid-dep=yes merge.sbatch)\n\
             echo \"shards: job ${{array%%;*}}, merge: job ${{merge%%;*}}\"\n",
            dirq = q(&dir),
        )
        .as_bytes(),
    )?;
    Ok(SlurmFiles {
        dir,
        config,
        shards_script,
        merge_script,
        submit_script,
        result,
        journals,
    })
}

/// Job ids of a submitted split run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Submitted {
    pub shards_job: String,
    pub merge_job: String,
}

/// Submit the shards and the dependent merge with `sbatch`.
pub fn submit(files: &SlurmFiles) -> Result<Submitted> {
    let sbatch = |args: &[&str]| -> Result<String> {
        let out = Command::new("sbatch")
            .arg("--parsable")
            .args(args)
            .current_dir(&files.dir)
            .output()
            .map_err(|e| {
                Diagnostic::tool(format!(
                    "cannot run sbatch ({e}): is Slurm installed and on PATH? The scripts are in {}",
                    files.dir.display()
                ))
            })?;
        if !out.status.success() {
            return Err(Diagnostic::tool(format!(
                "sbatch {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let id = text.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                Diagnostic::new(format!("sbatch printed {text:?}, not a job id")).kind(Kind::Tool),
            );
        }
        Ok(id)
    };
    let log = |name: &str| format!("--output={}", files.dir.join(name).display());
    let shards_job = sbatch(&[
        &log("shard-%a.log"),
        &files.shards_script.display().to_string(),
    ])?;
    let merge_job = sbatch(&[
        &log("merge.log"),
        &format!("--dependency=afterok:{shards_job}"),
        "--kill-on-invalid-dep=yes",
        &files.merge_script.display().to_string(),
    ])?;
    Ok(Submitted {
        shards_job,
        merge_job,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf %s {}",
                sh_quote("x'; rm -rf y; echo '$HOME")
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "x'; rm -rf y; echo '$HOME"
        );
    }

    #[test]
    fn only_random_is_split_and_shards_are_bounded() {
        let base = tessera_arch::builtin::arch("ws_4x4").unwrap();
        let dir = std::env::temp_dir().join(format!("tessera-slurm-{}", std::process::id()));
        let mut plan = SlurmPlan {
            dir: dir.clone(),
            shards: 4,
            exe: PathBuf::from("/bin/tessera"),
            arch: "ws_4x4".into(),
            workload: "mlp_small".into(),
            config: SearchConfig::default_for(&base),
        };
        plan.config.strategy = tessera_search::Strategy::evolutionary();
        let e = write_scripts(&plan).unwrap_err();
        assert!(e.message.contains("only the random strategy"), "{e}");
        plan.config.strategy = tessera_search::Strategy::Random;
        plan.shards = 0;
        assert!(write_scripts(&plan).is_err());
        plan.shards = 3;
        let f = write_scripts(&plan).unwrap();
        let s = std::fs::read_to_string(&f.shards_script).unwrap();
        assert!(s.contains("#SBATCH --array=0-2"), "{s}");
        assert!(s.contains("--shard \"$SLURM_ARRAY_TASK_ID/3\""), "{s}");
        let m = std::fs::read_to_string(&f.merge_script).unwrap();
        for j in &f.journals {
            assert!(m.contains(&j.display().to_string()), "{m}");
        }
        let back: SearchConfig = tessera_core::load::read_ron(&f.config).unwrap();
        assert_eq!(back, plan.config);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
