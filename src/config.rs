//! Where kbp's connection settings come from, merged in exactly one place.
//!
//! Precedence is flags > `KBP_*` environment (both resolved by clap) > the YAML context.
//! The result, [`Settings`], is all the Kafka session needs. Secrets are read from the
//! environment or a file, never required inline, and [`Redactor`] keeps them out of every
//! line kbp prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::flags::{
    BOOTSTRAP_SERVER, BOOTSTRAP_SERVER_SHORT, CONTEXT, FROM, GROUP, GROUP_SHORT, NO_COMMIT,
    PROPERTY, TIMEOUT,
};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const REDACTED: &str = "[redacted]";

/// The YAML file: named contexts, as kafkactl has them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Context {
    pub bootstrap_servers: Option<Servers>,
    pub security_protocol: Option<String>,
    pub sasl: Option<Sasl>,
    pub tls: Option<Tls>,
    /// Timeout for this context, e.g. `30s`; `--timeout` wins.
    pub timeout: Option<String>,
    /// Free librdkafka properties.
    #[serde(default)]
    pub properties: BTreeMap<String, serde_yaml::Value>,
}

/// `bootstrap-servers` as a list or a comma-separated string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Servers {
    One(String),
    Many(Vec<String>),
}

impl Servers {
    fn joined(&self) -> String {
        match self {
            Servers::One(s) => s.clone(),
            Servers::Many(v) => v.join(","),
        }
    }
}

/// librdkafka properties kbp sets itself, with what to use instead. Letting `-X` or a
/// context override them would make kbp do what the operator did not ask for: commit to
/// another group than `-g` names, commit records nobody processed, start elsewhere than
/// `--from` says, or take a live member's static identity. `None` for a key kbp does not
/// own.
pub fn owned(key: &str) -> Option<String> {
    Some(match key.trim() {
        "group.id" => format!("kbp sets the group itself: use {GROUP_SHORT}/{GROUP}"),
        "enable.auto.commit" => format!(
            "kbp commits only processed records itself: use kbp drain {NO_COMMIT} to commit nothing"
        ),
        "enable.auto.offset.store" => format!(
            "kbp stores only processed offsets itself: use kbp drain {NO_COMMIT} to commit nothing"
        ),
        "auto.offset.reset" => format!("kbp sets where a drain starts itself: use kbp drain {FROM}"),
        "partition.assignment.strategy" => "kbp drain sets its own assignor (cooperative-sticky); a group whose members cannot use it refuses the drain, which exits 5 saying so".into(),
        "group.instance.id" => "a static member id would fence the live consumer that uses it; kbp drain joins as a dynamic member".into(),
        _ => return None,
    })
}

/// A secret on the command line is readable by every user of the machine (`ps`, shell
/// history): say so once, and where it belongs instead.
fn warn_inline_secrets(properties: &[(String, String)]) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if let Some((k, _)) = properties
        .iter()
        .find(|(k, _)| Redactor::is_sensitive_key(k))
    {
        ONCE.call_once(|| {
            crate::sys::diag!(
                "kbp: warning: -X {k}=... is visible to other users of this machine (ps, shell history); put it in a context's password-env or password-file (client-secret-env or client-secret-file for sasl.oidc; README: Point it at a cluster)"
            )
        });
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sasl {
    pub mechanism: String,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// OAUTHBEARER tokens from an OIDC token endpoint (client credentials).
    pub oidc: Option<Oidc>,
    /// GSSAPI: a Kerberos principal and its keytab.
    pub kerberos: Option<Kerberos>,
    /// `AWS_MSK_IAM`: the cluster's region, e.g. `eu-west-1`.
    pub aws_region: Option<String>,
    /// `AWS_MSK_IAM`: a named profile of `~/.aws/config`; default: the default credential chain.
    pub aws_profile: Option<String>,
}

/// The `sasl.mechanism` that signs OAUTHBEARER tokens with AWS credentials.
pub const AWS_MSK_IAM: &str = "AWS_MSK_IAM";

/// AWS MSK IAM: where the signing credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskIam {
    pub region: String,
    /// `None`: the default credential chain.
    pub profile: Option<String>,
}

/// librdkafka's `sasl.oauthbearer.method=oidc`: it fetches and refreshes the tokens itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Oidc {
    pub token_endpoint: String,
    pub client_id: String,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub scope: Option<String>,
    /// CA of an HTTPS token endpoint whose certificate the system store does not trust.
    pub ca: Option<PathBuf>,
}

/// librdkafka's GSSAPI settings: it runs `kinit` with the keytab and renews the ticket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Kerberos {
    /// The broker's service name (the first part of its principal); librdkafka's default is `kafka`.
    pub service_name: Option<String>,
    pub principal: Option<String>,
    /// Not a secret to print (a path), but the file is one.
    pub keytab: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tls {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub key_password_env: Option<String>,
    pub key_password_file: Option<PathBuf>,
}

/// What a Kafka session is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bootstrap: String,
    pub context: Option<String>,
    pub config_file: Option<PathBuf>,
    pub timeout: Duration,
    /// librdkafka properties, secrets included; print only through [`Settings::redacted_properties`].
    pub properties: Vec<(String, String)>,
    pub redactor: Redactor,
    pub verbose: bool,
    /// `sasl.mechanism: AWS_MSK_IAM`: kbp makes the OAUTHBEARER tokens itself.
    pub msk_iam: Option<MskIam>,
}

/// The merged settings as `kbp config view` shows them.
#[derive(Debug, Serialize)]
pub struct EffectiveView {
    pub config_file: Option<String>,
    pub context: Option<String>,
    pub bootstrap_servers: Option<String>,
    pub timeout: String,
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct ContextRow {
    pub name: String,
    pub current: bool,
    pub bootstrap_servers: String,
    pub security_protocol: String,
}

/// Replaces every known secret value, and the value of every sensitive key, with `[redacted]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    fn add(&mut self, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    pub fn is_sensitive_key(key: &str) -> bool {
        let k = key.to_ascii_lowercase();
        // Where tokens come from (`sasl.oauthbearer.token.endpoint.url`) is no secret.
        if k.ends_with(".endpoint.url") {
            return false;
        }
        [
            "password",
            "secret",
            "jaas",
            "sasl.oauthbearer.config",
            ".pem",
            "token",
        ]
        .iter()
        .any(|p| k.contains(p))
    }
}

/// What the command line says about the connection (flags and `KBP_*` environment,
/// already merged by clap); the config file's context fills in the rest. `cli` builds it,
/// so this module never depends on the command-line definition.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bootstrap_server: Option<String>,
    pub context: Option<String>,
    pub config: Option<PathBuf>,
    pub property: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub verbose: bool,
    /// `bootstrap_server` is `KBP_BOOTSTRAP_SERVER`'s, not `-b`'s: a context named by
    /// `--context`, or `-X bootstrap.servers`, wins over it.
    pub bootstrap_from_env: bool,
    /// `context` is `KBP_CONTEXT`'s, not `--context`'s.
    pub context_from_env: bool,
}

impl Overrides {
    /// Another context of the same config file, with none of this command line's
    /// connection flags: `--sink topic:NAME@CONTEXT` reaches another cluster.
    pub fn context_only(&self, context: &str) -> Overrides {
        Overrides {
            context: Some(context.to_string()),
            config: self.config.clone(),
            verbose: self.verbose,
            ..Overrides::default()
        }
    }
}

/// Where the config file is looked for when neither `--config` nor `KBP_CONFIG` names one.
pub fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("kbp").join("config.yaml"))
}

/// Loads the config file: the explicit one must exist, the default one may be absent.
pub fn load_file(global: &Overrides) -> Result<(Option<PathBuf>, ConfigFile)> {
    let (path, explicit) = match &global.config {
        Some(p) => (p.clone(), true),
        None => match default_config_path() {
            Some(p) => (p, false),
            None => return Ok((None, ConfigFile::default())),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((Some(path.clone()), parse_file(&path, &text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok((None, ConfigFile::default()))
        }
        Err(e) => Err(Error::ConfigFile {
            path,
            message: e.to_string(),
        }),
    }
}

pub fn parse_file(path: &Path, text: &str) -> Result<ConfigFile> {
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    duplicate_keys(text).map_err(|message| Error::ConfigFile {
        path: path.to_path_buf(),
        message,
    })?;
    // serde_yaml's message usually ends in "at line L column C"; where it has no place
    // (a wrong key at the top level, a second document) kbp finds one.
    serde_yaml::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        // serde_yaml leaves the place out at the very start of the file, too.
        if !message.contains(" at line ") {
            if let Some((line, column)) = locate(text, &message) {
                message = format!("{message} at line {line} column {column}");
            }
        }
        Error::ConfigFile {
            path: path.to_path_buf(),
            message,
        }
    })
}

/// A key given twice in one mapping, with the second one's line and column. serde_yaml
/// keeps the last of a map's duplicates in silence (a context, a property, a web user
/// written twice: which one counts?), and names a struct's duplicate field at the start of
/// its mapping; this pass over the whole text checks every mapping alike. Other errors are
/// left to the typed parse, which says them in its own words.
pub fn duplicate_keys(text: &str) -> std::result::Result<(), String> {
    match serde_yaml::from_str::<unique::Unique>(text) {
        Err(e) if e.to_string().contains(unique::GIVEN_TWICE) => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// The pass of [`duplicate_keys`]: every value walked, every mapping's keys remembered.
/// The error is raised while the key itself is read, so serde_yaml places it at the key.
mod unique {
    use std::collections::HashSet;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, Visitor};

    pub const GIVEN_TWICE: &str = "is given twice in one mapping";

    pub struct Unique;

    impl<'de> de::Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
            d.deserialize_any(Walk)
        }
    }

    struct Walk;

    impl<'de> Visitor<'de> for Walk {
        type Value = Unique;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any YAML value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_none<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Unique, D::Error> {
            d.deserialize_any(Walk)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = HashSet::new();
            while map.next_key_seed(Key(&mut seen))?.is_some() {
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Unique, A::Error> {
            // A tagged value (`!tag value`): its value is walked like any other.
            let (IgnoredAny, value) = data.variant::<IgnoredAny>()?;
            de::VariantAccess::newtype_variant::<Unique>(value)
        }
    }

    /// A mapping's key, as text (`1` and `"1"` are one key to a map of names); a key that
    /// is itself a collection is walked and not compared.
    struct Key<'a>(&'a mut HashSet<String>);

    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl Key<'_> {
        fn once<E: de::Error>(self, key: String) -> Result<(), E> {
            if self.0.insert(key.clone()) {
                Ok(())
            } else {
                Err(E::custom(format!(
                    "key `{}` {GIVEN_TWICE} (YAML would keep only the last)",
                    key.escape_debug()
                )))
            }
        }
    }

    impl<'de> Visitor<'de> for Key<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping key")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
            self.once(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
            self.once(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
            self.once(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
            self.once(v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
            self.once(v.to_string())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.once("~".into())
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            self.once("~".into())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            Walk.visit_seq(seq).map(drop)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            Walk.visit_map(map).map(drop)
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
            Walk.visit_enum(data).map(drop)
        }
    }
}

/// Where the first name quoted in `message` (`` `name` ``) stands as a key in `text`, or
/// the second document's start; 1-based.
fn locate(text: &str, message: &str) -> Option<(usize, usize)> {
    let key = message.split('`').nth(1).filter(|k| !k.is_empty());
    text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start();
        let column = line.len() - trimmed.len() + 1;
        let hit = match key {
            Some(k) => trimmed
                .strip_prefix(k)
                .is_some_and(|rest| rest.trim_start().starts_with(':')),
            None => i > 0 && trimmed.starts_with("---"),
        };
        hit.then_some((i + 1, column))
    })
}

/// The one merge: flags and environment (already combined by clap) over the chosen context.
pub fn resolve(global: &Overrides, require_bootstrap: bool) -> Result<Settings> {
    let (path, file) = load_file(global)?;
    merge(global, path, &file, require_bootstrap)
}

pub fn merge(
    global: &Overrides,
    path: Option<PathBuf>,
    file: &ConfigFile,
    require_bootstrap: bool,
) -> Result<Settings> {
    let file_label = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".into());
    let context_name = global
        .context
        .clone()
        .or_else(|| file.current_context.clone());
    let mut merged = match &context_name {
        Some(name) => {
            let ctx = file.contexts.get(name).ok_or_else(|| {
                let from = match (&global.context, global.context_from_env) {
                    (Some(_), true) => "KBP_CONTEXT=".to_string(),
                    (Some(_), false) => format!("{CONTEXT} "),
                    (None, _) => "current-context: ".to_string(),
                };
                Error::usage(format!(
                    "{from}{name}: no such context in config file {file_label}"
                ))
            })?;
            // An explicit flag wins over the environment: `--context prod` means prod's
            // cluster even where KBP_BOOTSTRAP_SERVER is set.
            let named_by_flag = global.context.is_some() && !global.context_from_env;
            let at = |what: &str| format!("context '{name}' in {file_label}: {what}");
            Merged::from_context(ctx, named_by_flag, &at)?
        }
        None => Merged::default(),
    };
    merged.apply_flags(global)?;
    let bootstrap = merged.checked_bootstrap(require_bootstrap, &file_label)?;
    let timeout = global.timeout.or(merged.timeout).unwrap_or(DEFAULT_TIMEOUT);
    if timeout.is_zero() {
        return Err(Error::usage(format!("{TIMEOUT} must be above zero")));
    }
    Ok(Settings {
        bootstrap,
        context: context_name,
        config_file: path,
        timeout,
        properties: merged.properties,
        redactor: merged.redactor,
        verbose: global.verbose,
        msk_iam: merged.msk_iam,
    })
}

/// The settings as [`merge`] builds them: the context first, then the flags and the
/// environment over it.
#[derive(Default)]
struct Merged {
    properties: Vec<(String, String)>,
    redactor: Redactor,
    bootstrap: Option<String>,
    /// Which setting the bootstrap came from, for the message when it is malformed.
    bootstrap_from: String,
    /// Whether it came from a flag (or a context a flag chose), which the environment
    /// does not override.
    bootstrap_by_flag: bool,
    timeout: Option<Duration>,
    msk_iam: Option<MskIam>,
}

impl Merged {
    /// A context's settings; `at` names the context in messages.
    fn from_context(
        ctx: &Context,
        named_by_flag: bool,
        at: &dyn Fn(&str) -> String,
    ) -> Result<Merged> {
        let mut m = Merged {
            bootstrap: ctx.bootstrap_servers.as_ref().map(Servers::joined),
            bootstrap_from: at("bootstrap-servers"),
            ..Merged::default()
        };
        m.bootstrap_by_flag = m.bootstrap.is_some() && named_by_flag;
        if let Some(t) = &ctx.timeout {
            m.timeout = Some(
                crate::values::parse_timeout(t)
                    .map_err(|e| Error::usage(at(&format!("timeout: {e}"))))?,
            );
        }
        if let Some(p) = &ctx.security_protocol {
            m.properties.push(("security.protocol".into(), p.clone()));
        }
        if let Some(sasl) = &ctx.sasl {
            m.msk_iam = msk_iam_of(sasl, at)?;
        }
        if let (Some(_), None) = (&m.msk_iam, &ctx.security_protocol) {
            // MSK's IAM listeners are TLS only (port 9098).
            m.properties
                .push(("security.protocol".into(), "SASL_SSL".into()));
        }
        if let Some(sasl) = &ctx.sasl {
            m.add_sasl(sasl, at)?;
        }
        if let Some(tls) = &ctx.tls {
            m.add_tls(tls, at)?;
        }
        for (k, v) in &ctx.properties {
            if let Some(why) = owned(k) {
                return Err(Error::usage(at(&format!("properties.{k}: {why}"))));
            }
            let v = match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(Error::usage(at(&format!(
                        "properties.{k}: expected a string, number or boolean"
                    ))))
                }
            };
            m.properties.push((k.clone(), v));
        }
        Ok(m)
    }

    fn add_sasl(&mut self, sasl: &Sasl, at: &dyn Fn(&str) -> String) -> Result<()> {
        let mechanism = match self.msk_iam.is_some() {
            true => "OAUTHBEARER".to_string(),
            false => sasl.mechanism.clone(),
        };
        self.properties.push(("sasl.mechanism".into(), mechanism));
        if let Some(u) = &sasl.username {
            self.properties.push(("sasl.username".into(), u.clone()));
        }
        let password = read_secret(
            sasl.password_env.as_deref(),
            sasl.password_file.as_deref(),
            "sasl.password",
            at,
        )?;
        self.add_secret("sasl.password", password);
        let more = mechanism_properties(sasl, &mut self.redactor, at)?;
        self.properties.extend(more);
        Ok(())
    }

    fn add_tls(&mut self, tls: &Tls, at: &dyn Fn(&str) -> String) -> Result<()> {
        let paths = [
            ("ssl.ca.location", &tls.ca),
            ("ssl.certificate.location", &tls.cert),
            ("ssl.key.location", &tls.key),
        ];
        for (key, value) in paths {
            if let Some(p) = value {
                self.properties.push((key.into(), p.display().to_string()));
            }
        }
        let password = read_secret(
            tls.key_password_env.as_deref(),
            tls.key_password_file.as_deref(),
            "tls.key-password",
            at,
        )?;
        self.add_secret("ssl.key.password", password);
        Ok(())
    }

    /// A secret the context gave: set as `key`, and known to the redactor.
    fn add_secret(&mut self, key: &str, secret: Option<String>) {
        if let Some(secret) = secret {
            self.redactor.add(&secret);
            self.properties.push((key.into(), secret));
        }
    }

    /// `-X` over the context (the keys kbp owns refused), then `-b` or
    /// `KBP_BOOTSTRAP_SERVER`; every sensitive value is then known to the redactor.
    fn apply_flags(&mut self, global: &Overrides) -> Result<()> {
        for (k, _) in &global.property {
            if let Some(why) = owned(k) {
                return Err(Error::usage(format!("{PROPERTY} {k}: {why}")));
            }
        }
        warn_inline_secrets(&global.property);
        self.properties.extend(global.property.iter().cloned());

        // `-X bootstrap.servers=` is the kcat spelling of `-b`; -b still wins.
        if let Some(pos) = self
            .properties
            .iter()
            .rposition(|(k, _)| k == "bootstrap.servers")
        {
            let (_, v) = self.properties.remove(pos);
            self.bootstrap = Some(v);
            self.bootstrap_from = "bootstrap.servers".into();
            self.bootstrap_by_flag |= global
                .property
                .iter()
                .any(|(k, _)| k == "bootstrap.servers");
            self.properties.retain(|(k, _)| k != "bootstrap.servers");
        }
        match &global.bootstrap_server {
            Some(_) if global.bootstrap_from_env && self.bootstrap_by_flag => {}
            Some(b) => {
                self.bootstrap = Some(b.clone());
                self.bootstrap_from = match global.bootstrap_from_env {
                    true => "KBP_BOOTSTRAP_SERVER".into(),
                    false => format!("{BOOTSTRAP_SERVER_SHORT}/{BOOTSTRAP_SERVER}"),
                };
            }
            None => {}
        }
        for (k, v) in &self.properties {
            if Redactor::is_sensitive_key(k) {
                self.redactor.add(v);
            }
        }
        Ok(())
    }

    /// The bootstrap list, well formed; empty when none is needed and none was given.
    fn checked_bootstrap(&self, require: bool, file_label: &str) -> Result<String> {
        match self.bootstrap.as_ref().filter(|b| !b.trim().is_empty()) {
            Some(b) => {
                crate::values::check_bootstrap(b)
                    .map_err(|e| Error::usage(format!("{}: {e}", self.bootstrap_from)))?;
                Ok(b.clone())
            }
            None if require => Err(Error::usage(format!(
                "no bootstrap server: pass {BOOTSTRAP_SERVER_SHORT} HOST:PORT, set KBP_BOOTSTRAP_SERVER, or select a context (config file: {file_label})"
            ))),
            None => Ok(String::new()),
        }
    }
}

/// `sasl.mechanism: AWS_MSK_IAM` and its keys, checked; `None` for any other mechanism
/// (which may not carry the AWS keys).
fn msk_iam_of(sasl: &Sasl, at: &dyn Fn(&str) -> String) -> Result<Option<MskIam>> {
    if !sasl.mechanism.eq_ignore_ascii_case(AWS_MSK_IAM) {
        if sasl.aws_region.is_some() || sasl.aws_profile.is_some() {
            return Err(Error::usage(at(&format!(
                "sasl.aws-region and sasl.aws-profile go with sasl.mechanism {AWS_MSK_IAM}, not {}",
                sasl.mechanism
            ))));
        }
        return Ok(None);
    }
    if !cfg!(feature = "msk-iam") {
        return Err(Error::usage(at(&format!(
            "sasl.mechanism {AWS_MSK_IAM}: this kbp was built without it; build with `cargo install --path . --features msk-iam` (README: AWS MSK IAM)"
        ))));
    }
    if sasl.username.is_some() || sasl.password_env.is_some() || sasl.password_file.is_some() {
        return Err(Error::usage(at(&format!(
            "sasl.mechanism {AWS_MSK_IAM} signs with AWS credentials: remove sasl.username and the password (use sasl.aws-profile or the AWS environment)"
        ))));
    }
    let region = sasl
        .aws_region
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            Error::usage(at(&format!(
                "sasl.mechanism {AWS_MSK_IAM} needs sasl.aws-region (the cluster's, e.g. us-east-1)"
            )))
        })?;
    Ok(Some(MskIam {
        region,
        profile: sasl.aws_profile.clone(),
    }))
}

/// The properties of `sasl.oidc` and `sasl.kerberos`, each only with its own mechanism.
fn mechanism_properties(
    sasl: &Sasl,
    redactor: &mut Redactor,
    at: &dyn Fn(&str) -> String,
) -> Result<Vec<(String, String)>> {
    let mechanism = sasl.mechanism.to_ascii_uppercase();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| out.push((k.to_string(), v));
    if let Some(oidc) = &sasl.oidc {
        if mechanism != "OAUTHBEARER" {
            return Err(Error::usage(at(&format!(
                "sasl.oidc needs sasl.mechanism: OAUTHBEARER (it is {})",
                sasl.mechanism
            ))));
        }
        let secret = read_secret(
            oidc.client_secret_env.as_deref(),
            oidc.client_secret_file.as_deref(),
            "sasl.oidc.client-secret",
            at,
        )?
        .ok_or_else(|| {
            Error::usage(at(
                "sasl.oidc needs client-secret-env or client-secret-file",
            ))
        })?;
        redactor.add(&secret);
        put("sasl.oauthbearer.method", "oidc".into());
        put(
            "sasl.oauthbearer.token.endpoint.url",
            oidc.token_endpoint.clone(),
        );
        put("sasl.oauthbearer.client.id", oidc.client_id.clone());
        put("sasl.oauthbearer.client.secret", secret);
        if let Some(scope) = &oidc.scope {
            put("sasl.oauthbearer.scope", scope.clone());
        }
        if let Some(ca) = &oidc.ca {
            put("https.ca.location", ca.display().to_string());
        }
    }
    if let Some(krb) = &sasl.kerberos {
        if mechanism != "GSSAPI" {
            return Err(Error::usage(at(&format!(
                "sasl.kerberos needs sasl.mechanism: GSSAPI (it is {})",
                sasl.mechanism
            ))));
        }
        if let Some(name) = &krb.service_name {
            put("sasl.kerberos.service.name", name.clone());
        }
        if let Some(principal) = &krb.principal {
            put("sasl.kerberos.principal", principal.clone());
        }
        if let Some(keytab) = &krb.keytab {
            put("sasl.kerberos.keytab", keytab.display().to_string());
        }
    }
    Ok(out)
}

/// A secret from `{key}-env` or `{key}-file`, as the context names them.
fn read_secret(
    env: Option<&str>,
    file: Option<&Path>,
    key: &str,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<String>> {
    match (env, file) {
        (Some(_), Some(_)) => Err(Error::usage(at(&format!(
            "give {key}-env or {key}-file, not both"
        )))),
        (Some(var), None) => match std::env::var(var) {
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(Error::usage(at(&format!(
                "{key}-env: environment variable {var} is not set"
            )))),
        },
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) => Ok(Some(v.trim_end_matches(['\n', '\r']).to_string())),
            Err(e) => Err(Error::usage(at(&format!(
                "{key}-file: cannot read secret file {}: {e}",
                path.display()
            )))),
        },
        (None, None) => Ok(None),
    }
}

impl Settings {
    pub fn redacted_properties(&self) -> BTreeMap<String, String> {
        self.properties
            .iter()
            .map(|(k, v)| {
                let v = if Redactor::is_sensitive_key(k) {
                    REDACTED.to_string()
                } else {
                    self.redactor.redact(v)
                };
                (k.clone(), v)
            })
            .collect()
    }

    pub fn view(&self) -> EffectiveView {
        EffectiveView {
            config_file: self.config_file.as_ref().map(|p| p.display().to_string()),
            context: self.context.clone(),
            bootstrap_servers: Some(self.bootstrap.clone()).filter(|b| !b.is_empty()),
            timeout: humantime::format_duration(self.timeout).to_string(),
            properties: self.redacted_properties(),
        }
    }
}

pub fn context_rows(file: &ConfigFile, selected: Option<&str>) -> Vec<ContextRow> {
    let current = selected.or(file.current_context.as_deref());
    file.contexts
        .iter()
        .map(|(name, ctx)| ContextRow {
            name: name.clone(),
            current: Some(name.as_str()) == current,
            bootstrap_servers: ctx
                .bootstrap_servers
                .as_ref()
                .map(Servers::joined)
                .unwrap_or_default(),
            // `properties:` is applied after `security-protocol:`, so it wins.
            security_protocol: match ctx.properties.get("security.protocol") {
                Some(serde_yaml::Value::String(p)) => p.clone(),
                _ => ctx
                    .security_protocol
                    .clone()
                    .unwrap_or_else(|| "PLAINTEXT".into()),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
current-context: prod
contexts:
  prod:
    bootstrap-servers: [a:9092, b:9092]
    security-protocol: SASL_SSL
    sasl:
      mechanism: SCRAM-SHA-512
      username: alice
      password-env: KBP_TEST_SECRET_PW
    tls:
      ca: /etc/ca.pem
    properties:
      client.id: kbp-prod
      fetch.wait.max.ms: 50
  dev:
    bootstrap-servers: localhost:9092
";

    fn file() -> ConfigFile {
        parse_file(Path::new("c.yaml"), SAMPLE).unwrap()
    }

    #[test]
    fn current_context_and_secret_from_env() {
        std::env::set_var("KBP_TEST_SECRET_PW", "hunter2-xyz");
        let s = merge(&Overrides::default(), Some("c.yaml".into()), &file(), true).unwrap();
        assert_eq!(s.bootstrap, "a:9092,b:9092");
        assert!(s
            .properties
            .contains(&("sasl.password".into(), "hunter2-xyz".into())));
        assert!(s
            .properties
            .contains(&("fetch.wait.max.ms".into(), "50".into())));
        let view = serde_json::to_string(&s.view()).unwrap();
        assert!(!view.contains("hunter2-xyz"), "{view}");
        assert_eq!(
            s.redactor.redact("auth with hunter2-xyz failed"),
            "auth with [redacted] failed"
        );
    }

    #[test]
    fn flags_win_over_context() {
        let g = Overrides {
            bootstrap_server: Some("x:1".into()),
            context: Some("dev".into()),
            property: vec![("client.id".into(), "mine".into())],
            timeout: Some(Duration::from_secs(3)),
            ..Default::default()
        };
        let s = merge(&g, None, &file(), true).unwrap();
        assert_eq!(s.bootstrap, "x:1");
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert_eq!(
            s.properties,
            vec![("client.id".to_string(), "mine".to_string())]
        );
    }

    #[test]
    fn x_bootstrap_servers_is_the_bootstrap() {
        let g = Overrides {
            property: vec![("bootstrap.servers".into(), "k:9".into())],
            ..Default::default()
        };
        let s = merge(&g, None, &ConfigFile::default(), true).unwrap();
        assert_eq!(s.bootstrap, "k:9");
        assert!(s.properties.is_empty());
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = parse_file(
            Path::new("/tmp/k.yaml"),
            "contexts:\n  a:\n    bootstrap: x\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/tmp/k.yaml"), "{err}");
        assert!(err.contains("unknown field `bootstrap`"), "{err}");
        assert!(err.contains("line 3 column 5"), "{err}");
    }

    #[test]
    fn errors_without_a_place_get_one() {
        let err = |text: &str| {
            parse_file(Path::new("k.yaml"), text)
                .unwrap_err()
                .to_string()
        };
        let e = err("contexts: {}\ncurrent_context: prod\n");
        assert!(
            e.contains("`current_context`") && e.contains("line 2 column 1"),
            "{e}"
        );
        let e = err("contexts: {}\n---\ncontexts: {}\n");
        assert!(e.contains("line 2 column 1"), "{e}");
    }

    #[test]
    fn a_key_given_twice_is_named_where_the_second_stands() {
        let err = |text: &str| {
            parse_file(Path::new("k.yaml"), text)
                .unwrap_err()
                .to_string()
        };
        let e =
            err("contexts:\n  c:\n    bootstrap-servers: a:1\n  c:\n    bootstrap-servers: b:1\n");
        assert!(
            e.contains("contexts: key `c` is given twice") && e.contains("line 4 column 3"),
            "{e}"
        );
        let e = err("contexts:\n  c:\n    properties:\n      client.id: a\n      client.id: b\n");
        assert!(
            e.contains("contexts.c.properties: key `client.id`") && e.contains("line 5 column 7"),
            "{e}"
        );
        let e = err("contexts:\n  c:\n    timeout: 5s\n    timeout: 7s\n");
        assert!(
            e.contains("`timeout`") && e.contains("line 4 column 5"),
            "{e}"
        );
        let e = err("current-context: a\ncurrent-context: b\n");
        assert!(e.contains("line 2 column 1"), "{e}");
        let e = err("contexts: {c: {timeout: 1s}, c: {timeout: 2s}}\n");
        assert!(
            e.contains("key `c`") && e.contains("line 1 column 30"),
            "{e}"
        );
        // A number and the same text are one name to a map of names.
        let e = err("contexts:\n  c:\n    properties:\n      1: a\n      \"1\": b\n");
        assert!(e.contains("key `1`"), "{e}");
        // The same key in two mappings is no duplicate.
        parse_file(
            Path::new("k.yaml"),
            "contexts:\n  a:\n    timeout: 1s\n  b:\n    timeout: 1s\n",
        )
        .unwrap();
    }

    #[test]
    fn the_environment_does_not_override_a_flag() {
        let f = file();
        // KBP_BOOTSTRAP_SERVER does not send --context prod to another cluster.
        let g = Overrides {
            bootstrap_server: Some("env:1".into()),
            bootstrap_from_env: true,
            context: Some("prod".into()),
            ..Default::default()
        };
        assert_eq!(
            merge(&g, None, &f, true).unwrap().bootstrap,
            "a:9092,b:9092"
        );
        // It does fill in the current context's, as documented (env over file).
        let g = Overrides {
            bootstrap_server: Some("env:1".into()),
            bootstrap_from_env: true,
            ..Default::default()
        };
        assert_eq!(merge(&g, None, &f, true).unwrap().bootstrap, "env:1");
        // Nor a KBP_CONTEXT's.
        let g = Overrides {
            bootstrap_server: Some("env:1".into()),
            bootstrap_from_env: true,
            context: Some("prod".into()),
            context_from_env: true,
            ..Default::default()
        };
        assert_eq!(merge(&g, None, &f, true).unwrap().bootstrap, "env:1");
        // -X bootstrap.servers is a flag too.
        let g = Overrides {
            bootstrap_server: Some("env:1".into()),
            bootstrap_from_env: true,
            property: vec![("bootstrap.servers".into(), "x:2".into())],
            ..Default::default()
        };
        assert_eq!(merge(&g, None, &f, true).unwrap().bootstrap, "x:2");
        // -b wins over everything.
        let g = Overrides {
            bootstrap_server: Some("flag:1".into()),
            context: Some("prod".into()),
            property: vec![("bootstrap.servers".into(), "x:2".into())],
            ..Default::default()
        };
        assert_eq!(merge(&g, None, &f, true).unwrap().bootstrap, "flag:1");
        // A missing context says where its name came from.
        let g = Overrides {
            context: Some("nope".into()),
            context_from_env: true,
            ..Default::default()
        };
        let e = merge(&g, None, &f, true).unwrap_err().to_string();
        assert!(e.contains("KBP_CONTEXT=nope: no such context"), "{e}");
    }

    #[test]
    fn missing_context_and_missing_bootstrap_are_usage_errors() {
        let g = Overrides {
            context: Some("nope".into()),
            ..Default::default()
        };
        let e = merge(&g, None, &file(), true).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e.to_string().contains("--context nope"));
        let e = merge(&Overrides::default(), None, &ConfigFile::default(), true).unwrap_err();
        assert!(e.to_string().contains("no bootstrap server"));
    }

    #[test]
    fn missing_password_env_is_named() {
        let f = parse_file(
            Path::new("c.yaml"),
            "current-context: a\ncontexts:\n  a:\n    bootstrap-servers: x:1\n    sasl: {mechanism: PLAIN, username: u, password-env: KBP_TEST_UNSET_VAR_Q}\n",
        )
        .unwrap();
        let e = merge(&Overrides::default(), None, &f, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("KBP_TEST_UNSET_VAR_Q is not set"), "{e}");
    }

    #[test]
    fn sensitive_x_properties_are_redacted() {
        let g = Overrides {
            bootstrap_server: Some("b:1".into()),
            property: vec![("sasl.password".into(), "pw-123456".into())],
            ..Default::default()
        };
        let s = merge(&g, None, &ConfigFile::default(), true).unwrap();
        assert_eq!(s.redacted_properties()["sasl.password"], REDACTED);
        assert!(!s.redactor.redact("x pw-123456 y").contains("pw-123456"));
    }

    fn one_context(sasl: &str) -> ConfigFile {
        let keys: String = sasl.lines().map(|l| format!("      {l}\n")).collect();
        parse_file(
            Path::new("c.yaml"),
            &format!("current-context: a\ncontexts:\n  a:\n    bootstrap-servers: x:1\n    sasl:\n{keys}"),
        )
        .unwrap()
    }

    #[test]
    fn oidc_keys_become_librdkafka_properties_with_the_secret_redacted() {
        std::env::set_var("KBP_TEST_OIDC_SECRET", "oidc-s3cret-q");
        let f = one_context(
            "mechanism: OAUTHBEARER\noidc:\n  token-endpoint: https://idp/token\n  client-id: kbp\n  client-secret-env: KBP_TEST_OIDC_SECRET\n  scope: kafka\n  ca: /etc/idp-ca.pem\n",
        );
        let s = merge(&Overrides::default(), None, &f, true).unwrap();
        let p = s.redacted_properties();
        assert_eq!(p["sasl.oauthbearer.method"], "oidc");
        assert_eq!(
            p["sasl.oauthbearer.token.endpoint.url"],
            "https://idp/token"
        );
        assert_eq!(p["sasl.oauthbearer.client.id"], "kbp");
        assert_eq!(p["sasl.oauthbearer.client.secret"], REDACTED);
        assert_eq!(p["sasl.oauthbearer.scope"], "kafka");
        assert_eq!(p["https.ca.location"], "/etc/idp-ca.pem");
        assert!(s.properties.contains(&(
            "sasl.oauthbearer.client.secret".into(),
            "oidc-s3cret-q".into()
        )));
        assert!(!s.redactor.redact("x oidc-s3cret-q").contains("s3cret"));
    }

    #[test]
    fn mechanism_blocks_need_their_mechanism_and_oidc_its_secret() {
        let err = |sasl: &str| {
            merge(&Overrides::default(), None, &one_context(sasl), true)
                .unwrap_err()
                .to_string()
        };
        let e = err(
            "mechanism: PLAIN\noidc: {token-endpoint: u, client-id: c, client-secret-file: /x}\n",
        );
        assert!(
            e.contains("sasl.oidc needs sasl.mechanism: OAUTHBEARER"),
            "{e}"
        );
        let e = err("mechanism: OAUTHBEARER\noidc: {token-endpoint: u, client-id: c}\n");
        assert!(e.contains("client-secret-env or client-secret-file"), "{e}");
        let e = err("mechanism: OAUTHBEARER\noidc: {token-endpoint: u, client-id: c, client-secret-file: /nonexistent/s}\n");
        assert!(
            e.contains("sasl.oidc.client-secret-file: cannot read"),
            "{e}"
        );
        let e = err("mechanism: PLAIN\nkerberos: {principal: kbp}\n");
        assert!(
            e.contains("sasl.kerberos needs sasl.mechanism: GSSAPI"),
            "{e}"
        );
    }

    #[test]
    fn kerberos_keys_and_the_keytab_path_is_shown() {
        let f = one_context(
            "mechanism: GSSAPI\nkerberos:\n  service-name: kafka\n  principal: kbp@EXAMPLE.COM\n  keytab: /etc/kbp.keytab\n",
        );
        let s = merge(&Overrides::default(), None, &f, true).unwrap();
        let p = s.redacted_properties();
        assert_eq!(p["sasl.mechanism"], "GSSAPI");
        assert_eq!(p["sasl.kerberos.service.name"], "kafka");
        assert_eq!(p["sasl.kerberos.principal"], "kbp@EXAMPLE.COM");
        assert_eq!(p["sasl.kerberos.keytab"], "/etc/kbp.keytab");
    }

    #[test]
    fn aws_msk_iam_is_checked_before_any_cluster_is_asked() {
        let err = |sasl: &str| {
            let text = format!(
                "current-context: m\ncontexts:\n  m:\n    bootstrap-servers: b:9098\n    sasl: {{{sasl}}}\n"
            );
            let f = parse_file(Path::new("m.yaml"), &text).unwrap();
            merge(&Overrides::default(), Some("m.yaml".into()), &f, true)
                .err()
                .map(|e| e.to_string())
        };
        let e = err("mechanism: PLAIN, username: u, aws-region: eu-west-1").unwrap();
        assert!(
            e.contains("sasl.aws-region and sasl.aws-profile go with sasl.mechanism AWS_MSK_IAM"),
            "{e}"
        );
        let e = err("mechanism: AWS_MSK_IAM").unwrap();
        if cfg!(feature = "msk-iam") {
            assert!(e.contains("needs sasl.aws-region"), "{e}");
            let e = err("mechanism: AWS_MSK_IAM, aws-region: x, username: u").unwrap();
            assert!(e.contains("remove sasl.username"), "{e}");
            assert_eq!(err("mechanism: AWS_MSK_IAM, aws-region: eu-west-1"), None);
        } else {
            assert!(
                e.contains("this kbp was built without it") && e.contains("--features msk-iam"),
                "{e}"
            );
        }
    }
}
