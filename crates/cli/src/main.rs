//! The `invitations` command-line program.
//!
//! `invitations diff [OLD] [NEW]` compares two revisions of the OpenAPI
//! document and says what changed, what it breaks for callers of the HTTP
//! API and of the generated Rust API, and which semver bump the crate needs.
//! Exit codes: 0 normally, 1 when a change at or above `--fail-on` is found
//! (or, with `--fail-on-unmatched`, an ignore entry that matches nothing),
//! 2 for bad input (unreadable file, unknown revision, invalid document).
//!
//! `invitations drift VENDOR_DOC --vendor VENDOR [DOC]` compares the
//! document with the vendor's own OpenAPI definition, judged from our
//! client's side (see `invitations_cli::drift`). Exit codes as for `diff`,
//! but an ignore entry that matches nothing fails `--fail-on` (the two
//! documents are fixed, so a departure gone is a departure to forget).
//!
//! `invitations invite <hybridbox|automox> --account UUID --csv FILE` invites
//! every user of a CSV file, resumably and never twice (see
//! `invitations_cli::bulk`). Exit codes: 0 when every valid row ended invited or
//! already invited, 1 when a row failed, was invalid or unknown, or the run
//! was stopped, 2 for bad input (nothing sent). Ctrl-C (SIGINT) or SIGTERM
//! stops it cleanly: no new rows, the rows in flight finish and are
//! journaled, the summary is printed; a second one quits at once (130 or
//! 143).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use invitations_cli::diff::ignore::IgnoreFile;
use invitations_cli::diff::{self, Level, Report, render};
use invitations_codegen as codegen;

#[derive(Parser)]
#[command(
    name = "invitations",
    version,
    about = "Tools for the invitations crate's OpenAPI document."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compare two revisions of the document: what changed, what breaks
    /// callers of the HTTP API and of the generated Rust API, which semver
    /// bump the crate needs.
    Diff(DiffArgs),
    /// Compare the document with a vendor's own OpenAPI definition (3.0 or
    /// 3.1), judged from our client's side: what the vendor refuses of our
    /// requests, what of its responses we cannot read, what it offers that
    /// we do not use.
    Drift(DriftArgs),
    /// Invite every user of a CSV file: resumable from its journal, within
    /// a rate limit, never twice. Credentials from the environment:
    /// HYBRIDBOX_TOKEN, or HYBRIDBOX_CLIENT_ID and HYBRIDBOX_CLIENT_SECRET
    /// (HYBRIDBOX_TOKEN_ENDPOINT for another token endpoint);
    /// AUTOMOX_API_KEY.
    Invite(InviteArgs),
}

#[derive(clap::Args)]
struct InviteArgs {
    /// The vendor.
    #[arg(value_parser = vendor_name())]
    vendor: invitations::Vendor,
    /// The account to invite into.
    #[arg(long, value_name = "UUID")]
    account: uuid::Uuid,
    /// The CSV file: a header row, then one user per row. Columns:
    /// hybridbox `email`, `locale`, `note`, `role_key`; automox `email`,
    /// `account_rbac_role`, `zones` (`zone_id:role;zone_id:role`).
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// The journal of what was done, read by a rerun to resume [default:
    /// <FILE>.journal.jsonl].
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Rows in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// At most COUNT requests per PERIOD (`2500/5m`, `10/1s`; units ms, s,
    /// m, h; a period of at most 744h, at most one request per nanosecond)
    /// [default: automox 2500/5m, a third-party figure; hybridbox none].
    #[arg(long, value_name = "COUNT/PERIOD", value_parser = invitations_cli::bulk::parse_rate)]
    rate: Option<invitations::RateLimit>,
    /// The most each attempt of a request may take, from connecting to the
    /// answer's last byte (1ms to 1h; units ms, s, m, h). Each request, its
    /// retries included, ends within this plus 60s plus the rate limit's
    /// wait at this concurrency.
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = invitations_cli::bulk::parse_timeout)]
    timeout: std::time::Duration,
    /// Validate every row and print what would be sent; send nothing (no
    /// credentials needed).
    #[arg(long)]
    dry_run: bool,
    /// Another base URL for the vendor's API.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// How to print the summary on stdout.
    #[arg(long, value_enum, default_value_t = InviteFormat::Text)]
    format: InviteFormat,
    /// Record what you found in the vendor's console for the row on LINE
    /// whose outcome was unknown: `invited` (counted as invited, never
    /// sent) or `not-invited` (sent by this run). Repeatable.
    #[arg(long, value_name = "LINE=invited|not-invited",
          value_parser = invitations_cli::bulk::settle::parse)]
    settle: Vec<invitations_cli::bulk::settle::Settlement>,
}

#[derive(Clone, Copy, ValueEnum)]
enum InviteFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The old revision: a file, or `REV:path` as `git show` takes it.
    #[arg(default_value = "HEAD:openapi/invitations.yaml")]
    old: String,
    /// The new revision: a file, or `REV:path` as `git show` takes it
    /// [default: openapi/invitations.yaml, here or at the repository's top].
    new: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 when a change at or above this level is found.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Also print the unified diff of the generated Rust code per vendor.
    #[arg(long)]
    code: bool,
    /// A YAML file of accepted changes (`id`, `location`, `reason` each):
    /// they are marked, not dropped, and no longer count for `--fail-on`;
    /// an entry that matches no change is reported (a notice).
    #[arg(long, value_name = "FILE")]
    ignore: Option<String>,
    /// Also exit with 1 when an entry of the ignore file matches no change
    /// (to prune the file; in a pull request's check an entry merged
    /// earlier matches nothing, rightly).
    #[arg(long)]
    fail_on_unmatched: bool,
}

#[derive(clap::Args)]
struct DriftArgs {
    /// The vendor's definition: a file, or `REV:path` as `git show` takes
    /// it; OpenAPI 3.0.x or 3.1.x, one file or several (relative `$ref`s).
    vendor_doc: String,
    /// Which of our vendors it defines.
    #[arg(long, value_parser = vendor_name())]
    vendor: invitations::Vendor,
    /// Our document: a file, or `REV:path` [default:
    /// openapi/invitations.yaml, here or at the repository's top].
    doc: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 when a difference at or above this level is found, or an
    /// entry of the ignore file matches none.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// A YAML file of accepted differences (`id`, `location`, `reason`
    /// each), our deliberate departures from the vendor's definition: they
    /// are marked, not dropped, and no longer count for `--fail-on`.
    #[arg(long, value_name = "FILE")]
    ignore: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
    /// GitHub Actions workflow commands: one annotation per change.
    Githubactions,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Breaking,
    Warning,
}

impl FailOn {
    fn level(self) -> Level {
        match self {
            FailOn::Breaking => Level::Breaking,
            FailOn::Warning => Level::Warning,
        }
    }
}

/// The vendor `invitations invite` takes, listed in `--help` and in the
/// error for another name.
fn vendor_name() -> impl clap::builder::TypedValueParser<Value = invitations::Vendor> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(invitations::Vendor::ALL.map(|v| v.as_str()))
        .try_map(|name| name.parse::<invitations::Vendor>())
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Diff(args) => run(&args),
        Cmd::Drift(args) => drift(&args).map_err(|m| codegen::excerpt(&m, SHOWN_ERROR)),
        Cmd::Invite(args) => return invite(args),
    };
    match result {
        Ok(failed) => ExitCode::from(u8::from(failed)),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// How many characters of an error message `diff` prints.
const SHOWN_ERROR: usize = 2_000;

/// Runs `diff`; `Ok(true)` when a change reaches `--fail-on`. An error is
/// one line, escaped: it may quote a document, git or an argument.
fn run(args: &DiffArgs) -> Result<bool, String> {
    diff_revisions(args).map_err(|message| codegen::excerpt(&message, SHOWN_ERROR))
}

/// [`run`], its errors as they come.
fn diff_revisions(args: &DiffArgs) -> Result<bool, String> {
    let new_name = args.new.clone().unwrap_or_else(default_document);
    let (old, old_origin) = read_revision(&args.old)?;
    let (new, new_origin) = read_revision(&new_name)?;
    let old_load = |path: &str| old_origin.load(path);
    let new_load = |path: &str| new_origin.load(path);
    let mut report = diff::compare_with(
        (&args.old, &old, Some(&old_load)),
        (&new_name, &new, Some(&new_load)),
    )
    .map_err(|e| e.to_string())?;
    apply_ignore(&mut report, args.ignore.as_deref())?;
    let code = if args.code {
        Some(code_diff(
            (&args.old, &old, &old_load),
            (&new_name, &new, &new_load),
        )?)
    } else {
        None
    };
    print!(
        "{}",
        render_report(
            args.format,
            &report,
            (&args.old, &new_name),
            code.as_deref()
        )
    );
    let threshold = args.fail_on.map(FailOn::level);
    let unmatched = args.fail_on_unmatched && !report.unmatched_ignores.is_empty();
    Ok(unmatched || threshold.is_some_and(|t| report.fails_at(t)))
}

/// Runs `drift`; `Ok(true)` when a difference reaches `--fail-on` or, with
/// `--fail-on`, an ignore entry matches none.
fn drift(args: &DriftArgs) -> Result<bool, String> {
    let doc = args.doc.clone().unwrap_or_else(default_document);
    let (ours, ours_origin) = read_revision(&doc)?;
    let (theirs, theirs_origin) = read_revision(&args.vendor_doc)?;
    let ours_load = |path: &str| ours_origin.load(path);
    let theirs_load = |path: &str| theirs_origin.load(path);
    let mut report = invitations_cli::drift::compare(
        (&doc, &ours, Some(&ours_load)),
        (&args.vendor_doc, &theirs, Some(&theirs_load)),
        args.vendor.as_str(),
    )
    .map_err(|e| e.to_string())?;
    apply_ignore(&mut report, args.ignore.as_deref())?;
    print!(
        "{}",
        render_report(args.format, &report, (&doc, &args.vendor_doc), None)
    );
    Ok(args
        .fail_on
        .map(FailOn::level)
        .is_some_and(|t| report.fails_at(t) || !report.unmatched_ignores.is_empty()))
}

/// Marks the changes an ignore file accepts, when one is given.
fn apply_ignore(report: &mut Report, file: Option<&str>) -> Result<(), String> {
    let Some(file) = file else {
        return Ok(());
    };
    let text = codegen::read_file(Path::new(file), codegen::MAX_FILE_BYTES)
        .map_err(|e| format!("cannot read `{file}`: {e}"))?;
    let ignore = IgnoreFile::parse(file, &text).map_err(|e| e.to_string())?;
    diff::ignore::apply(report, &ignore);
    Ok(())
}

/// The report in `format`; `names` are the two documents (old and new, or
/// ours and the vendor's) as given on the command line.
fn render_report(
    format: Format,
    report: &Report,
    (first, second): (&str, &str),
    code: Option<&[render::CodeDiff]>,
) -> String {
    match format {
        Format::Text => render::text(report, first, second, code),
        Format::Markdown => render::markdown(report, first, second, code),
        Format::Json => render::json(report, code),
        Format::Githubactions => {
            render::github_actions(report, repository_path(first), repository_path(second))
        }
    }
}

/// The path in the repository of a revision: the file itself, or the path of
/// `REV:path`.
fn repository_path(spec: &str) -> &str {
    if Path::new(spec).is_file() {
        return spec;
    }
    spec.split_once(':').map_or(spec, |(_, path)| path)
}

/// Where a revision's files are: a folder on disk (read only inside the
/// repository that holds the document, or inside the document's folder
/// when no repository does), or beside the document (`path`, from the
/// repository's top) at a git revision (inside the repository).
enum Origin {
    Folder(codegen::LocalFiles),
    Git { rev: String, path: String },
}

impl Origin {
    /// Reads a file the document refers to, by its path relative to the
    /// document's folder.
    fn load(&self, relative: &str) -> Result<String, codegen::ReadError> {
        match self {
            Origin::Folder(files) => files.load(relative),
            Origin::Git { rev, path } => {
                let path = codegen::resolve_path(path, relative);
                if climbs(&path) {
                    // `git show REV:../x` would read beside the repository.
                    return Err(codegen::ReadError::Outside {
                        root: "the repository".to_owned(),
                    });
                }
                git_show(rev, &path)
            }
        }
    }
}

/// Whether a normalised path (from [`codegen::resolve_path`]) climbs above
/// the folder it is relative to.
fn climbs(path: &str) -> bool {
    path == ".." || path.starts_with("../")
}

/// Reads a revision: an existing file, else `REV:path` through `git show`;
/// with where the other files it refers to are.
fn read_revision(spec: &str) -> Result<(String, Origin), String> {
    let file = Path::new(spec);
    if file.is_file() {
        let folder = match file.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        let (root, root_name) = match git_toplevel(folder) {
            Some(top) => (top, "the repository"),
            None => (folder.to_owned(), "the document's folder"),
        };
        let files = codegen::LocalFiles::new(&root, root_name, folder)
            .map_err(|e| format!("cannot read `{spec}`: {e}"))?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("cannot read `{spec}`: its name is not utf-8"))?;
        let text = files
            .load(name)
            .map_err(|e| format!("cannot read `{spec}`: {e}"))?;
        return Ok((text, Origin::Folder(files)));
    }
    let Some((rev, path)) = spec.split_once(':').filter(|(rev, _)| !rev.is_empty()) else {
        return Err(format!(
            "cannot read `{spec}`: no such file in the current folder{}",
            at_the_top(spec)
                .map(|path| format!(
                    "; the repository's top has it: name it `{}` or run from there",
                    path.display()
                ))
                .unwrap_or_default()
        ));
    };
    if rev.starts_with('-') {
        return Err(format!(
            "`{spec}` is neither a file nor a git revision: the revision `{rev}` starts with `-`, which git would read as an option"
        ));
    }
    // `REV:./x` and `REV:../x` are relative to the current folder, any
    // other path to the repository's top (as `git show` reads them).
    let full = if path == "." || path == ".." || path.starts_with("./") || path.starts_with("../") {
        let prefix = git(&["rev-parse", "--show-prefix"])
            .map_err(|e| format!("cannot read `{spec}`: {e}"))?;
        codegen::resolve_path(&format!("{}here", prefix.trim_end()), path)
    } else {
        codegen::resolve_path("here", path)
    };
    if climbs(&full) {
        return Err(format!(
            "cannot read `{spec}`: `{path}` leads outside the repository"
        ));
    }
    let text = git_show(rev, &full)
        .map_err(|e| format!("cannot read `{path}` at git revision `{rev}`: {e}"))?;
    Ok((
        text,
        Origin::Git {
            rev: rev.to_owned(),
            path: full,
        },
    ))
}

/// The document's usual path, `openapi/invitations.yaml`: in the current
/// folder when it is there, else at the top of the repository that holds
/// the current folder (run from a subfolder).
fn default_document() -> String {
    const DOCUMENT: &str = "openapi/invitations.yaml";
    if Path::new(DOCUMENT).is_file() {
        return DOCUMENT.to_owned();
    }
    at_the_top(DOCUMENT).map_or_else(|| DOCUMENT.to_owned(), |p| p.display().to_string())
}

/// The path from the current folder to `path` below the top of the
/// repository that holds the current folder, when that file exists.
fn at_the_top(path: &str) -> Option<PathBuf> {
    let top = git_toplevel(Path::new("."))?.canonicalize().ok()?;
    if !top.join(path).is_file() {
        return None;
    }
    let here = std::env::current_dir().ok()?.canonicalize().ok()?;
    let depth = here.strip_prefix(&top).ok()?.components().count();
    Some(
        std::iter::repeat_n(Path::new(".."), depth)
            .collect::<PathBuf>()
            .join(path),
    )
}

/// The top folder of the git repository that holds `folder`, if one does.
fn git_toplevel(folder: &Path) -> Option<PathBuf> {
    let output = Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    let top = String::from_utf8(output.stdout).ok()?;
    let top = top.trim_end_matches(['\n', '\r']);
    (output.status.success() && !top.is_empty()).then(|| PathBuf::from(top))
}

/// Runs git with `args` (none of them from input that could be an option);
/// its output, or what it said went wrong.
fn git(args: &[&str]) -> Result<String, codegen::ReadError> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| codegen::ReadError::Other(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(codegen::ReadError::Other(git_reason(&output.stderr)));
    }
    String::from_utf8(output.stdout).map_err(|_| codegen::ReadError::NotText)
}

/// The first line of what git wrote on stderr, without `fatal: `.
fn git_reason(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    stderr
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("git failed")
        .trim_start_matches("fatal: ")
        .to_owned()
}

/// The text of `path` at git revision `rev`: a file (a blob) of at most
/// [`codegen::MAX_FILE_BYTES`], read with that bound. `rev` never starts
/// with `-` (refused before), and `--end-of-options` tells git that what
/// follows is a revision whatever it looks like.
fn git_show(rev: &str, path: &str) -> Result<String, codegen::ReadError> {
    use codegen::ReadError;
    use std::io::Read as _;
    let spec = format!("{rev}:{path}");
    let kind = match git(&["cat-file", "-t", "--end-of-options", &spec])?.trim() {
        "blob" => None,
        "tree" => Some("a directory"),
        "commit" => Some("a submodule"),
        _ => Some("not a file"),
    };
    if let Some(kind) = kind {
        return Err(ReadError::NotAFile { kind });
    }
    let mut child = Command::new("git")
        .args(["show", "--no-textconv", "--end-of-options", &spec])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| ReadError::Other(format!("cannot run git: {e}")))?;
    let limit = codegen::MAX_FILE_BYTES;
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ReadError::Other("cannot read git's output".to_owned()));
    };
    // stderr is read beside stdout, so that neither pipe can fill and stop git.
    let (read, errors) = std::thread::scope(|scope| {
        let errors = scope.spawn(move || {
            // The start is kept; the rest is drained.
            let mut errors = Vec::new();
            let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut errors);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            errors
        });
        let mut bytes = Vec::new();
        let read = stdout
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map(|_| bytes);
        if read.as_ref().is_ok_and(|b| b.len() as u64 > limit) {
            let _ = child.kill();
        }
        (read, errors.join().unwrap_or_default())
    });
    let status = child.wait()?;
    let bytes = read?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    if !status.success() {
        return Err(ReadError::Other(git_reason(&errors)));
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotText)
}

/// The unified diff of each vendor's generated code, by vendor, for vendors
/// whose code differs. Both revisions are generated under the same name so
/// that the name in the generated header does not show up as a change.
fn code_diff(
    old: (&str, &str, codegen::Loader<'_>),
    new: (&str, &str, codegen::Loader<'_>),
) -> Result<Vec<render::CodeDiff>, String> {
    let label = new.0.rsplit_once(':').map_or(new.0, |(_, p)| p);
    let options = codegen::Options::default();
    let generate = |(name, text, load): (&str, &str, codegen::Loader<'_>)| {
        codegen::generate_with(label, text, &options, Some(load))
            .map(|(modules, _)| modules)
            .map_err(|e| format!("cannot generate code from `{name}`: {e}"))
    };
    let (old, new) = (generate(old)?, generate(new)?);
    let mut vendors: Vec<&str> = old.iter().map(|m| m.vendor.as_str()).collect();
    for m in &new {
        if !vendors.contains(&m.vendor.as_str()) {
            vendors.push(&m.vendor);
        }
    }
    let mut out = Vec::new();
    for vendor in vendors {
        let code = |modules: &[codegen::VendorCode]| {
            modules
                .iter()
                .find(|m| m.vendor == vendor)
                .map(|m| m.code.clone())
                .unwrap_or_default()
        };
        let (a, b) = (code(&old), code(&new));
        if a == b {
            continue;
        }
        let file = format!("{vendor}.rs");
        let diff = similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{file}"), &format!("b/{file}"))
            .to_string();
        out.push((vendor.to_owned(), diff));
    }
    Ok(out)
}

/// Runs `invite`; its exit code.
fn invite(args: InviteArgs) -> ExitCode {
    use invitations_cli::bulk;
    let options = bulk::Options {
        vendor: args.vendor,
        account: args.account,
        csv: args.csv,
        journal: args.journal,
        concurrency: usize::from(args.concurrency),
        rate: args.rate,
        timeout: args.timeout,
        dry_run: args.dry_run,
        base_url: args.base_url,
        progress: bulk::progress::Display::Auto,
        settle: args.settle,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(bulk::invite(&options, async {
        let signal = stop_signal().await;
        // Above the progress bar, not into it.
        bulk::progress::note(&format!(
            "stopping ({}): no new rows; waiting for the rows in flight (Ctrl-C or SIGTERM \
             again to quit now; the journal stays consistent)",
            signal.name()
        ));
        tokio::spawn(async {
            // A second signal of either kind: the sender is not waiting.
            std::process::exit(stop_signal().await.exit_code());
        });
    }));
    match outcome {
        Ok(report) => {
            use std::io::Write;
            let json = matches!(args.format, InviteFormat::Json);
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed stdout loses the summary, not the journal.
            let _ = report
                .write(&mut stdout, json)
                .and_then(|()| stdout.flush());
            if let Some(e) = &report.error {
                eprintln!("error: {}", bulk::error_chain(e));
            }
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            eprintln!("error: {}", bulk::error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// A signal that stops `invite`.
#[derive(Clone, Copy)]
enum StopSignal {
    /// Ctrl-C.
    Interrupt,
    /// What CI runners, container runtimes and service managers send.
    Terminate,
}

impl StopSignal {
    fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }

    /// The shell's code for a program killed by the signal: 128 + its number.
    fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }
}

/// The first Ctrl-C (SIGINT) or, on unix, SIGTERM from the first poll on;
/// never when neither can be caught. Both take the same path: the first
/// stops starting rows, the second quits at once.
async fn stop_signal() -> StopSignal {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                if terminate.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => StopSignal::Interrupt,
        () = terminate => StopSignal::Terminate,
    }
}
