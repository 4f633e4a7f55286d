// crd-check validates the Prometheus Operator objects of the deploy files
// (ServiceMonitor, PrometheusRule), which kubernetes-validate has no schema
// for: each is decoded strictly into the operator's own Go types
// (github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1),
// so an unknown or misspelt field, or a value of the wrong type, is an
// error, as the API server's structural schema would make it; durations
// must match the CRDs' pattern, and every rule is an alert or a record with
// an expression.
//
// Usage: crd-check FILE... (multi-document YAML; other kinds are skipped).
// Prints one line per object, exits 1 if any is invalid.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

// The pattern of monitoringv1.Duration in the CRDs.
var duration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

func strict(doc []byte, into any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	decoder := json.NewDecoder(bytes.NewReader(js))
	decoder.DisallowUnknownFields()
	return decoder.Decode(into)
}

func checkDuration(what string, d *monitoringv1.Duration) error {
	if d != nil && !duration.MatchString(string(*d)) {
		return fmt.Errorf("%s: %q is not a duration", what, *d)
	}
	return nil
}

func check(kind string, doc []byte) (string, error) {
	switch kind {
	case "ServiceMonitor":
		var m monitoringv1.ServiceMonitor
		if err := strict(doc, &m); err != nil {
			return "", err
		}
		if len(m.Spec.Endpoints) == 0 {
			return m.Name, errors.New("spec.endpoints: none")
		}
		for i, e := range m.Spec.Endpoints {
			if e.Port == "" && e.TargetPort == nil {
				return m.Name, fmt.Errorf("spec.endpoints[%d]: no port", i)
			}
			for what, d := range map[string]*monitoringv1.Duration{"interval": &e.Interval, "scrapeTimeout": &e.ScrapeTimeout} {
				if *d == "" {
					continue
				}
				if err := checkDuration(fmt.Sprintf("spec.endpoints[%d].%s", i, what), d); err != nil {
					return m.Name, err
				}
			}
		}
		return m.Name, nil
	case "PrometheusRule":
		var r monitoringv1.PrometheusRule
		if err := strict(doc, &r); err != nil {
			return "", err
		}
		if len(r.Spec.Groups) == 0 {
			return r.Name, errors.New("spec.groups: none")
		}
		for _, g := range r.Spec.Groups {
			for i, rule := range g.Rules {
				if (rule.Alert == "") == (rule.Record == "") {
					return r.Name, fmt.Errorf("group %s, rule %d: needs exactly one of alert and record", g.Name, i)
				}
				if rule.Expr.String() == "" {
					return r.Name, fmt.Errorf("group %s, rule %d: no expr", g.Name, i)
				}
				if err := checkDuration(fmt.Sprintf("group %s, rule %s: for", g.Name, rule.Alert), rule.For); err != nil {
					return r.Name, err
				}
			}
		}
		return r.Name, nil
	}
	return "", nil
}

func main() {
	bad := 0
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Printf("FAIL: %v\n", err)
			bad++
			continue
		}
		decoder := yamlv3.NewDecoder(f)
		for {
			var node yamlv3.Node
			if err := decoder.Decode(&node); err == io.EOF {
				break
			} else if err != nil {
				fmt.Printf("FAIL: %s: %v\n", path, err)
				bad++
				break
			}
			var meta struct {
				Kind string `yaml:"kind"`
			}
			if err := node.Decode(&meta); err != nil || meta.Kind == "" {
				continue
			}
			doc, err := yamlv3.Marshal(&node)
			if err != nil {
				fmt.Printf("FAIL: %s: %v\n", path, err)
				bad++
				continue
			}
			name, err := check(meta.Kind, doc)
			switch {
			case err != nil:
				fmt.Printf("FAIL: %s: %s %s: %v\n", path, meta.Kind, name, err)
				bad++
			case name != "":
				fmt.Printf("ok: %s: %s %s (monitoring.coreos.com/v1, strict)\n", path, meta.Kind, name)
			}
		}
		f.Close()
	}
	if bad > 0 {
		os.Exit(1)
	}
}
