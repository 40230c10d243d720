//! The files under `deploy/` against docs/metrics.md, the exporter's contract: the alert
//! rules pass promtool's check and their unit tests, the rules and the Grafana dashboard
//! name only documented metrics, the documented example scrape follows the tables, the
//! dashboard's queries find data in that scrape on a real Prometheus, and the Kubernetes
//! example hangs together (ports, labels, probes, the config file kbp reads).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use promql_parser::label::MatchOp;
use promql_parser::parser::Expr;
use promql_parser::util::{walk_expr, ExprVisitor};
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::common::{kbp, promtool, repo, Prometheus, Scrape, TextPage};

const RULES: &str = "deploy/prometheus/kbp-alerts.yaml";
const RULE_TESTS: &str = "deploy/prometheus/kbp-alerts.test.yaml";
const DASHBOARD: &str = "deploy/grafana/kbp-dashboard.json";
const KUBERNETES: &str = "deploy/kubernetes";

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Yaml {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A metric of docs/metrics.md's tables.
#[derive(Debug)]
struct Documented {
    kind: String,
    labels: BTreeSet<String>,
}

/// The metric tables of docs/metrics.md (header `| metric | type | labels | unit | meaning |`),
/// by series name: a histogram by its `_bucket`, `_sum` and `_count` series.
fn documented() -> BTreeMap<String, Documented> {
    let mut out = BTreeMap::new();
    let mut in_table = false;
    for line in read("docs/metrics.md").lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if cells[1..cells.len() - 1] == ["metric", "type", "labels", "unit", "meaning"] {
            in_table = true;
            continue;
        }
        if !in_table || cells[1].starts_with("---") {
            continue;
        }
        let name = cells[1].trim_matches('`').to_string();
        let labels: BTreeSet<String> = cells[3]
            .split(", ")
            .map(|l| l.trim_matches('`').to_string())
            .collect();
        let kind = cells[2].to_string();
        assert!(
            ["gauge", "counter", "histogram"].contains(&kind.as_str()),
            "{name}: type {kind}"
        );
        if kind == "histogram" {
            for suffix in ["_sum", "_count"] {
                let d = Documented {
                    kind: kind.clone(),
                    labels: labels.clone(),
                };
                out.insert(format!("{name}{suffix}"), d);
            }
            let mut bucket = labels.clone();
            bucket.insert("le".into());
            out.insert(
                format!("{name}_bucket"),
                Documented {
                    kind: kind.clone(),
                    labels: bucket,
                },
            );
        }
        if kind != "histogram" {
            let previous = out.insert(name.clone(), Documented { kind, labels });
            assert!(previous.is_none(), "{name} documented twice");
        }
    }
    assert!(out.len() > 20, "docs/metrics.md: tables not found: {out:?}");
    out
}

/// The metric names `expr` selects, through a real PromQL parser (which also rejects
/// anything that is not PromQL).
fn metric_names(expr: &str) -> BTreeSet<String> {
    struct Names(BTreeSet<String>, String);
    impl ExprVisitor for Names {
        type Error = String;
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, String> {
            let vs = match e {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(m) => &m.vs,
                _ => return Ok(true),
            };
            let by_matcher = vs
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
                .map(|m| m.value.clone());
            match vs.name.clone().or(by_matcher) {
                Some(n) => self.0.insert(n),
                None => return Err(format!("{}: a selector without a metric name", self.1)),
            };
            Ok(true)
        }
    }
    let ast = promql_parser::parser::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut names = Names(BTreeSet::new(), expr.to_string());
    walk_expr(&mut names, &ast).unwrap();
    names.0
}

/// Grafana's variables as values Prometheus takes: intervals become `1m`, the others match
/// anything.
fn grafana_to_promql(expr: &str) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let braced = tail.starts_with('{');
        let name = if braced { &tail[1..] } else { tail };
        let len = name
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        out.push_str(if name.starts_with("__") { "1m" } else { ".*" });
        rest = &name[len + usize::from(braced)..];
    }
    out.push_str(rest);
    out
}

/// Every value under `key` in `v`, at any depth (not looking inside those values).
fn fields<'a>(v: &'a Json, key: &str) -> Vec<&'a Json> {
    match v {
        Json::Object(m) => m
            .iter()
            .flat_map(|(k, v)| if k == key { vec![v] } else { fields(v, key) })
            .collect(),
        Json::Array(a) => a.iter().flat_map(|v| fields(v, key)).collect(),
        _ => vec![],
    }
}

/// Every `expr` of the dashboard's panels, nested rows included.
fn dashboard_exprs(dash: &Json) -> Vec<String> {
    fields(&dash["panels"], "expr")
        .into_iter()
        .map(|e| e.as_str().expect("expr is a string").to_string())
        .collect()
}

/// The selectors of the dashboard's `label_values(SELECTOR, LABEL)` variables.
fn variable_selectors(dash: &Json) -> Vec<String> {
    dash["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "query")
        .map(|v| {
            let q = v["query"]["query"]
                .as_str()
                .or(v["query"].as_str())
                .unwrap();
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or_else(|| panic!("variable {}: not label_values(): {q}", v["name"]));
            let (selector, _label) = inner.rsplit_once(',').unwrap();
            selector.trim().to_string()
        })
        .collect()
}

fn dashboard() -> Json {
    serde_json::from_str(&read(DASHBOARD)).unwrap_or_else(|e| panic!("{DASHBOARD}: {e}"))
}

/// An alerting rule of kbp-alerts.yaml.
#[derive(Debug)]
struct Rule {
    alert: String,
    expr: String,
    hold: String,
    severity: String,
}

fn rules() -> Vec<Rule> {
    let doc = yaml(RULES);
    let rules: Vec<Rule> = doc["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap())
        .map(|r| Rule {
            alert: r["alert"].as_str().expect("only alerting rules").into(),
            expr: r["expr"].as_str().unwrap().trim().into(),
            hold: r["for"].as_str().unwrap_or("0s").into(),
            severity: r["labels"]["severity"].as_str().unwrap().into(),
        })
        .collect();
    assert!(!rules.is_empty());
    rules
}

#[test]
fn alert_rules_pass_promtool_check() {
    let (ok, out) = promtool(&repo(), &["check", "rules", RULES]);
    assert!(ok, "promtool check rules {RULES}:\n{out}");
    let n = rules().len();
    assert!(
        out.contains(&format!("SUCCESS: {n} rules found")),
        "promtool saw another number of rules than {n}:\n{out}"
    );
}

#[test]
fn alert_rules_pass_their_unit_tests() {
    let (ok, out) = promtool(&repo(), &["test", "rules", RULE_TESTS]);
    assert!(ok, "promtool test rules {RULE_TESTS}:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");

    // Each alert has a case where it fires and one where it must not.
    let tests = yaml(RULE_TESTS);
    let mut firing = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for case in tests["tests"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|t| t["alert_rule_test"].as_sequence().unwrap())
    {
        let name = case["alertname"].as_str().unwrap().to_string();
        match case["exp_alerts"].as_sequence().map(Vec::len) {
            Some(0) | None => quiet.insert(name),
            Some(_) => firing.insert(name),
        };
    }
    for r in rules() {
        assert!(
            firing.contains(&r.alert),
            "{}: no test where it fires",
            r.alert
        );
        assert!(
            quiet.contains(&r.alert),
            "{}: no test where it stays quiet",
            r.alert
        );
    }
}

#[test]
fn alert_rules_use_documented_metrics_and_match_the_docs() {
    let docs = documented();
    let text = read("docs/metrics.md");
    for r in rules() {
        for name in metric_names(&r.expr) {
            assert!(
                docs.contains_key(&name),
                "{}: {name} is not in docs/metrics.md",
                r.alert
            );
        }
        // docs/metrics.md's table of alerts says what the file does.
        let row = format!(
            "| `{}` | `{}` | {} | {} |",
            r.alert, r.expr, r.hold, r.severity
        );
        assert!(text.contains(&row), "docs/metrics.md lacks the row\n{row}");
    }
}

#[test]
fn dashboard_uses_documented_metrics_through_its_datasource_variable() {
    let dash = dashboard();
    let docs = documented();
    let vars = dash["templating"]["list"].as_array().unwrap();
    assert!(
        vars.iter().any(|v| v["name"] == "datasource"
            && v["type"] == "datasource"
            && v["query"] == "prometheus"),
        "no datasource variable of type prometheus"
    );

    let exprs = dashboard_exprs(&dash);
    let mut used = BTreeSet::new();
    for e in exprs.iter().chain(variable_selectors(&dash).iter()) {
        for name in metric_names(&grafana_to_promql(e)) {
            assert!(
                docs.contains_key(&name),
                "{e}: {name} is not in docs/metrics.md"
            );
            used.insert(name);
        }
    }
    // What the dashboard is for: time lag per group, lag per partition, verdicts, rates,
    // ETA and the exporter's health.
    for name in [
        "kafka_consumergroup_max_lag_seconds",
        "kafka_consumergroup_lag",
        "kbp_group_status",
        "kbp_group_produce_rate",
        "kbp_group_consume_rate",
        "kbp_group_eta_seconds",
        "kbp_up",
        "kbp_staleness_seconds",
        "kbp_refresh_duration_seconds_bucket",
        "kbp_refresh_errors_total",
    ] {
        assert!(used.contains(name), "the dashboard does not chart {name}");
    }

    // Every panel and query reads through the variable, never a datasource of one Grafana.
    let ds = fields(&dash["panels"], "datasource");
    assert!(ds.len() > exprs.len(), "panels without a datasource");
    for d in ds {
        assert_eq!(d["uid"], "${datasource}", "{d}");
    }
}

/// The example scrape of docs/metrics.md: the fenced block after the `example-scrape` mark.
fn example_scrape() -> String {
    let text = read("docs/metrics.md");
    let at = text
        .find("<!-- example-scrape")
        .expect("no example-scrape mark");
    let block = &text[at..];
    let start = block
        .find("```text\n")
        .expect("no ```text block after the mark")
        + 8;
    let end = block[start..].find("```").unwrap();
    block[start..start + end].to_string()
}

#[test]
fn example_scrape_follows_the_metric_tables() {
    let docs = documented();
    let page = example_scrape();
    let mut seen = BTreeSet::new();
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            let series = match kind {
                "histogram" => format!("{name}_bucket"),
                _ => name.to_string(),
            };
            let d = docs
                .get(&series)
                .unwrap_or_else(|| panic!("{name} is not documented"));
            assert_eq!(d.kind, kind, "{name}");
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (name, rest) = line.split_once('{').unwrap_or_else(|| panic!("{line}"));
        let (labels, value) = rest.rsplit_once("} ").unwrap();
        let names: BTreeSet<String> = labels
            .split(',')
            .map(|kv| kv.split_once('=').unwrap().0.to_string())
            .collect();
        let d = docs
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not documented"));
        assert_eq!(names, d.labels, "{line}");
        assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}");
        seen.insert(name.to_string());
    }
    // Every metric kbp serves is in the example; `up` is Prometheus's own.
    let served: BTreeSet<String> = docs.keys().filter(|n| *n != "up").cloned().collect();
    assert_eq!(seen, served, "the example scrape and the tables differ");
}

#[test]
fn dashboard_and_alert_queries_run_on_prometheus_over_the_example_scrape() {
    let page = TextPage::serve(&example_scrape());
    let prom = Prometheus::start(Scrape::kbp(&[&page.addr]));
    let t = Duration::from_secs(30);
    prom.wait_for(r#"up{job="kbp"} == 1"#, |r| r.len() == 1, t);
    // rate() needs two scrapes in its range.
    prom.wait_for(
        "count_over_time(kbp_up[1m])",
        |r| r.first().is_some_and(|(_, n)| *n >= 2.0),
        t,
    );

    let dash = dashboard();
    for e in dashboard_exprs(&dash)
        .iter()
        .chain(variable_selectors(&dash).iter())
    {
        let q = grafana_to_promql(e);
        let rows = prom.query(&q);
        assert!(
            !rows.is_empty(),
            "dashboard query finds nothing in the example: {q}"
        );
    }
    for r in rules() {
        prom.try_query(&r.expr)
            .unwrap_or_else(|e| panic!("{}: {e}", r.alert));
    }
    // The example's two groups, as the alert rules would see them.
    let stopped = prom.query(r#"kbp_group_status{status="STOP"} == 1"#);
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(stopped[0].0["consumergroup"], "billing");
    let lost = prom.query("kbp_group_records_lost > 0");
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].1, 120.0);
    let never = prom.query("kbp_group_eta_seconds == +Inf");
    assert_eq!(never.len(), 1, "{never:?}");
}

/// The documents of every YAML file under deploy/kubernetes, by kind.
fn kubernetes() -> BTreeMap<String, Yaml> {
    let dir = repo().join(KUBERNETES);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Yaml =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let kind = doc["kind"].as_str().unwrap().to_string();
        assert!(out.insert(kind.clone(), doc).is_none(), "two {kind}s");
    }
    out
}

fn strs(v: &Yaml) -> Vec<&str> {
    v.as_sequence()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn kubernetes_example_hangs_together() {
    let k = kubernetes();
    let (deploy, service, monitor) = (&k["Deployment"], &k["Service"], &k["ServiceMonitor"]);

    // kustomization.yaml lists every other file.
    let files: BTreeSet<String> = std::fs::read_dir(repo().join(KUBERNETES))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f != "kustomization.yaml")
        .collect();
    let listed: BTreeSet<String> = strs(&k["Kustomization"]["resources"])
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(listed, files);

    let pod = &deploy["spec"]["template"];
    let containers = pod["spec"]["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let args = strs(&c["args"]);
    assert_eq!(args[0], "serve");
    // 127.0.0.1 is the pod's own loopback: nothing outside it could connect.
    let listen = args
        .iter()
        .position(|a| *a == "--listen")
        .expect("--listen");
    assert_eq!(args[listen + 1], "0.0.0.0:9308");
    let port = &c["ports"][0];
    assert_eq!(port["containerPort"].as_u64(), Some(9308));
    let port_name = port["name"].as_str().unwrap();
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(
            c[probe]["httpGet"]["port"].as_str(),
            Some(port_name),
            "{probe}"
        );
    }
    assert_eq!(deploy["spec"]["replicas"].as_u64(), Some(1));

    // Service → pods → port; ServiceMonitor → Service → port. The job is the Service's
    // name, and the alert rules look for job="kbp".
    let pod_labels = &pod["metadata"]["labels"];
    for (k, v) in service["spec"]["selector"].as_mapping().unwrap() {
        assert_eq!(&pod_labels[k], v, "the Service selects other pods");
    }
    for (k, v) in deploy["spec"]["selector"]["matchLabels"]
        .as_mapping()
        .unwrap()
    {
        assert_eq!(&pod_labels[k], v, "the Deployment selects other pods");
    }
    assert_eq!(service["metadata"]["name"], "kbp");
    assert_eq!(
        service["spec"]["ports"][0]["targetPort"].as_str(),
        Some(port_name)
    );
    let service_port = service["spec"]["ports"][0]["name"].as_str().unwrap();
    for (k, v) in monitor["spec"]["selector"]["matchLabels"]
        .as_mapping()
        .unwrap()
    {
        assert_eq!(
            &service["metadata"]["labels"][k], v,
            "the ServiceMonitor selects another Service"
        );
    }
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert_eq!(endpoint["port"].as_str(), Some(service_port));
    assert_eq!(endpoint["path"], "/metrics");
    assert!(read(RULES).contains(r#"job="kbp""#));

    // The config file from the ConfigMap, with the Secret's files where the pod mounts
    // them (under a temp dir instead of /), is one kbp reads: its context, its secret.
    let root = tempfile::tempdir().unwrap();
    let mounted = |path: &str| -> PathBuf { root.path().join(path.trim_start_matches('/')) };
    let mounts = c["volumeMounts"].as_sequence().unwrap();
    let volumes = pod["spec"]["volumes"].as_sequence().unwrap();
    let mut config_path = None;
    for m in mounts {
        let volume = volumes
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap_or_else(|| panic!("no volume {:?}", m["name"]));
        let at = m["mountPath"].as_str().unwrap();
        let (kind, source) = if volume["configMap"].is_mapping() {
            ("ConfigMap", volume["configMap"]["name"].clone())
        } else {
            ("Secret", volume["secret"]["secretName"].clone())
        };
        assert_eq!(k[kind]["metadata"]["name"], source, "{kind} name");
        let data = if kind == "ConfigMap" {
            &k[kind]["data"]
        } else {
            &k[kind]["stringData"]
        };
        for (key, value) in data.as_mapping().unwrap() {
            let key = key.as_str().unwrap();
            let file = match m["subPath"].as_str() {
                Some(sub) if sub == key => mounted(at),
                Some(_) => continue,
                None => mounted(&format!("{at}/{key}")),
            };
            let text = value
                .as_str()
                .unwrap()
                .replace("/etc/kbp/", &format!("{}/", mounted("/etc/kbp").display()));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
            if key == "config.yaml" {
                config_path = Some(file);
            }
        }
    }
    let env = c["env"].as_sequence().unwrap();
    let kbp_config = env.iter().find(|e| e["name"] == "KBP_CONFIG").unwrap();
    let config_path = config_path.expect("no config.yaml mounted");
    assert_eq!(mounted(kbp_config["value"].as_str().unwrap()), config_path);
    let context = args[args.iter().position(|a| *a == "--context").unwrap() + 1];
    let view = kbp()
        .env("KBP_CONFIG", &config_path)
        .args(["--context", context, "config", "view"])
        .expect(0);
    assert!(
        view.stdout.contains("sasl.password: '[redacted]'"),
        "{}",
        view.stdout
    );
    assert!(
        view.stdout.contains("security.protocol: SASL_SSL"),
        "{}",
        view.stdout
    );
    assert!(mounted("/etc/kbp/secrets/ca.pem").is_file());
}
