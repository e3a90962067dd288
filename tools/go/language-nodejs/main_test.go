package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Lines as Pulumi's host's stderr scanner reads them: 65535 bytes + "\n" is
// the longest line; a longer one stops it when more output follows.
func TestStderrWatchLimit(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct {
		name, input string
		hang        bool
		length      string
		shown       int
	}{
		{name: "65535 + newline", input: a(65535) + "\nnext\n", shown: 65541},
		{name: "65536 at the end", input: a(65536), shown: 65536},
		{name: "65536 + newline", input: a(65536) + "\n", hang: true, length: "is 65536 bytes", shown: 65536},
		{name: "70 KiB + newline", input: a(71680) + "\nmore\n", hang: true, length: "is 71680 bytes", shown: 65536},
		{name: "70 KiB, no newline", input: "x\n" + a(71680), hang: true, length: "at least 71680 bytes", shown: 65538},
		{name: "65535 + CRLF", input: a(65535) + "\r\n", hang: true, shown: 65536},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			stopped := 0
			r, w := io.Pipe()
			sw := watchStderr(r, &out, func() { stopped++ })
			for in := []byte(c.input); len(in) > 0; in = in[min(len(in), 1000):] {
				_, _ = w.Write(in[:min(len(in), 1000)])
			}
			_ = w.Close()
			sw.wait()
			err := sw.hangError()
			if c.hang != (err != nil) || (c.hang && stopped != 1) {
				t.Fatalf("hang %v, stopped %d, err %v", c.hang, stopped, err)
			}
			if c.length != "" && !strings.Contains(err.Error(), c.length) {
				t.Fatalf("want %q in %v", c.length, err)
			}
			if out.Len() != c.shown {
				t.Fatalf("shown %d bytes, want %d", out.Len(), c.shown)
			}
		})
	}
}

func TestStderrWatchOOM(t *testing.T) {
	r, w := io.Pipe()
	sw := watchStderr(r, io.Discard, func() {})
	_, _ = w.Write([]byte("x\n<--- Last few GCs --->\n"))
	_ = w.Close()
	sw.wait()
	if !sw.oom {
		t.Fatal("no OOM seen")
	}
}

func TestConfigJSON(t *testing.T) {
	got, err := configJSON(map[string]string{"proj:greeting": "hi", "aws:region": "x"})
	if err != nil || got != `{"aws:config:region":"x","proj:config:greeting":"hi"}` {
		t.Fatalf("%s %v", got, err)
	}
	if _, err := configJSON(map[string]string{"nonamespace": "x"}); err == nil {
		t.Fatal("want an error for a key without namespace")
	}
}

func TestReadOptions(t *testing.T) {
	o, err := readOptions(map[string]any{"nodeargs": "--a 'b c'", "typescript": false})
	if err != nil || o.typescript || o.nodeargs != "--a 'b c'" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range []map[string]any{
		{"typescript": "yes"}, {"tsconfig": 1.0}, {"nodeargs": true}, {"packagemanager": "cargo"},
	} {
		if _, err := readOptions(bad); err == nil {
			t.Fatalf("want an error for %v", bad)
		}
	}
}

func TestFindPackages(t *testing.T) {
	root := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shared/node_modules/@pulumi/command/package.json", `{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true}}`)
	write("shared/node_modules/@pulumi/command/node_modules/@pulumi/tls/package.json", `{"name":"@pulumi/tls","version":"5.0.0","pulumi":{"resource":true}}`)
	write("shared/node_modules/@pulumi/pulumi/package.json", `{"name":"@pulumi/pulumi","version":"3.248.0"}`)
	write("shared/node_modules/other/package.json", `{"name":"other","pulumi":{"resource":true,"name":"oth","version":"v2.0.0"}}`)
	write("prog/package.json", `{"name":"prog","pulumi":{"resource":true}}`) // not inside node_modules
	write("prog/policy/PulumiPolicy.yaml", "runtime: nodejs\n")
	write("prog/policy/node_modules/@pulumi/aws/package.json", `{"name":"@pulumi/aws","version":"6.0.0","pulumi":{"resource":true}}`)
	write("node_modules/@pulumi/random/package.json", `{"name":"@pulumi/random","version":"4.0.0","pulumi":{"resource":true}}`) // a parent's: not seen
	if err := os.Symlink(filepath.Join(root, "shared", "node_modules"), filepath.Join(root, "prog", "node_modules")); err != nil {
		t.Fatal(err)
	}
	var errs []error
	deps := findPackages(filepath.Join(root, "prog"), false, map[string]bool{}, &errs)
	var got []string
	for _, d := range deps {
		got = append(got, d.Name+"@"+d.Version)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "command@v1.2.1 oth@v2.0.0 tls@v5.0.0" || len(errs) != 0 {
		t.Fatalf("got %v, errors %v", got, errs)
	}
}
