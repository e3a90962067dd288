package local

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The line-length cases below were checked against a re-enactment of the
// released plugin's output handling (io.MultiWriter of both streams into one
// io.Pipe read by a default bufio.Scanner): "hang" is where that re-enactment
// never returned.
func TestMain(m *testing.M) {
	// The provider's status messages go to slog outside of the engine.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

func TestReleasedPluginHangs(t *testing.T) {
	a := func(n int) string { return "head -c " + itoa(n) + " /dev/zero | tr '\\0' a" }
	for _, c := range []struct {
		name, script string
		logging      *Logging
		hang         bool
		length       string
	}{
		{name: "65535 + newline", script: a(65535) + "; echo"},
		{name: "65536 at the end, no newline", script: a(65536)},
		{name: "65536 + newline", script: a(65536) + "; echo", hang: true, length: "is 65536 bytes"},
		{name: "65535 + newline on stderr", script: a(65535) + "; echo >&2"},
		{name: "65536, then stderr", script: a(65536) + "; sleep 0.2; echo x >&2", hang: true},
		{name: "70 KiB + newline", script: a(71680) + "; echo", hang: true, length: "is 71680 bytes"},
		{name: "65534 + CRLF", script: a(65534) + "; printf '\\r\\n'"},
		{name: "65535 + CRLF", script: a(65535) + "; printf '\\r\\n'", hang: true, length: "is 65536 bytes"},
		{name: "70 KiB, logging none", script: a(71680) + "; echo", logging: ptr(Logging("none"))},
		{name: "70 KiB stdout, logging stderr", script: a(71680) + "; echo", logging: ptr(Logging("stderr"))},
		{name: "70 KiB stderr, logging stdout", script: a(71680) + " >&2; echo >&2", logging: ptr(Logging("stdout"))},
		{name: "70 KiB stderr, logging stderr", script: a(71680) + " >&2; echo >&2", logging: ptr(Logging("stderr")), hang: true},
		{name: "unknown logging value logs nothing", script: a(71680) + "; echo", logging: ptr(Logging("all"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := BaseOutputs{}
			err := run(context.Background(), c.script, BaseInputs{Logging: c.logging}, &out)
			if c.hang {
				if err == nil || !strings.Contains(err.Error(), "pulumi-command v1.2.1 would hang") {
					t.Fatalf("want the hang error, got %v", err)
				}
				if c.length != "" && !strings.Contains(err.Error(), c.length) {
					t.Fatalf("want %q in %v", c.length, err)
				}
				if !strings.Contains(err.Error(), `starting "aaaa`) {
					t.Fatalf("want the line's start in %v", err)
				}
				if out.Stdout != "" {
					t.Fatalf("nothing may be stored, got %d bytes of stdout", len(out.Stdout))
				}
			} else if err != nil {
				t.Fatalf("want success, got %v", err)
			}
		})
	}
}

func TestHangWithoutNewlineIsStoppedAndMeasuredAsAtLeast(t *testing.T) {
	start := time.Now()
	// A background process keeps the output open: it must not be waited for.
	err := run(context.Background(), "(sleep 30 &); head -c 70000 /dev/zero | tr '\\0' a; sleep 30", BaseInputs{}, &BaseOutputs{})
	if err == nil || !strings.Contains(err.Error(), "at least 70000 bytes") {
		t.Fatalf("want the hang error with 'at least', got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestEnvironmentAndStoredOutput(t *testing.T) {
	show := `printf 'out=%s|err=%s|set=%s%s\n' "$PULUMI_COMMAND_STDOUT" "$PULUMI_COMMAND_STDERR" "${PULUMI_COMMAND_STDOUT+o}" "${PULUMI_COMMAND_STDERR+e}"`
	f := false
	tr := true
	for _, c := range []struct {
		name string
		prev BaseOutputs
		add  *bool
		want string
	}{
		{"previous output, default", BaseOutputs{Stdout: "a\nb", Stderr: "w"}, nil, "out=a\nb|err=w|set=oe"},
		{"previous output, true", BaseOutputs{Stdout: "a", Stderr: ""}, &tr, "out=a|err=|set=o"},
		{"previous output, false", BaseOutputs{Stdout: "a", Stderr: "w"}, &f, "out=|err=|set="},
		{"empty previous output", BaseOutputs{}, nil, "out=|err=|set="},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := c.prev
			if err := run(context.Background(), show, BaseInputs{AddPreviousOutputInEnv: c.add}, &out); err != nil {
				t.Fatal(err)
			}
			if out.Stdout != c.want {
				t.Fatalf("got %q, want %q", out.Stdout, c.want)
			}
		})
	}
	out := BaseOutputs{}
	if err := run(context.Background(), `printf 'x\r\n\n'; printf 'e\n\n' >&2`, BaseInputs{}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Stdout != "x\r\n" || out.Stderr != "e\n" {
		t.Fatalf("stored %q / %q", out.Stdout, out.Stderr)
	}
	env := map[string]string{"PULUMI_COMMAND_STDOUT": "mine"}
	out = BaseOutputs{Stdout: "prev"}
	if err := run(context.Background(), `printf %s "$PULUMI_COMMAND_STDOUT"`, BaseInputs{Environment: &env}, &out); err != nil || out.Stdout != "prev" {
		t.Fatalf("the previous stdout wins over environment: %q %v", out.Stdout, err)
	}
}

func TestFailureMessageAndStdin(t *testing.T) {
	out := BaseOutputs{Stdout: "kept"}
	err := run(context.Background(), "echo o; echo e >&2; exit 3", BaseInputs{}, &out)
	if err == nil || err.Error() != "exit status 3: running \"echo o; echo e >&2; exit 3\":\no\ne\n" {
		t.Fatalf("got %q", err)
	}
	if out.Stdout != "kept" {
		t.Fatalf("a failure must not change the stored output: %q", out.Stdout)
	}
	empty := ""
	out = BaseOutputs{}
	if err := run(context.Background(), "readlink /proc/self/fd/0", BaseInputs{Stdin: &empty}, &out); err != nil || out.Stdout != "/dev/null" {
		t.Fatalf("empty stdin is /dev/null: %q %v", out.Stdout, err)
	}
	in := "hi"
	if err := run(context.Background(), "cat", BaseInputs{Stdin: &in}, &out); err != nil || out.Stdout != "hi" {
		t.Fatalf("stdin: %q %v", out.Stdout, err)
	}
}

func TestLineLogSplitsLikeTheScanner(t *testing.T) {
	var got []string
	l := newLineLog(func(s string) { got = append(got, s) }, func() { t.Fatal("hang") }, func() {})
	l.write(streamStdout, []byte("a\r\n\nb"))
	l.write(streamStderr, []byte("c\nd"))
	l.close(true)
	want := []string{"a", "", "bc", "d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func itoa(n int) string { return strconv.Itoa(n) }
