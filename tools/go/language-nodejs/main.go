// Command pulumi-language-nodejs is a Pulumi language host for Node.js
// programs, built for this project's tools cache (`npm run tools`).
//
// The engine starts it, connects over gRPC, asks which provider plugins the
// program needs (GetRequiredPackages) and then asks it to run the program
// (Run). Running means starting `node @pulumi/pulumi/cmd/run <program>` from
// the program's own node_modules: all Pulumi semantics (resource
// registration, outputs, TypeScript via ts-node) live in that Node SDK code.
// This host passes the engine's request on to it as Pulumi's own host
// (v3.248.0) does, wherever the engine or the program can observe it:
//
//   - flags --monitor, --engine, --organization, --project, --root-directory,
//     --stack, --pwd, --dry-run, --parallel (always, also 0), --tracing, then
//     the entry point and the program's arguments;
//   - environment PULUMI_CONFIG (JSON object, keys as "<namespace>:config:<name>"),
//     PULUMI_CONFIG_SECRET_KEYS (JSON array, "[]" when none),
//     PULUMI_NODEJS_TYPESCRIPT=true (only when the `typescript` runtime option
//     is true, its default) and PULUMI_NODEJS_TSCONFIG_PATH (`tsconfig`);
//     `nodeargs` split like a shell command line, before the run script;
//     the runtime options are type-checked (an error names the bad one);
//   - exit code 32 from node means "error already reported": the host bails;
//     another non-zero code is "Program exited with non-zero exit code: N",
//     with a hint when node's stderr shows an out-of-memory crash;
//   - cancellation (the Cancel RPC, or the end of the Run request) sends
//     node SIGINT, and SIGKILL if it is still running 5 s later;
//   - GetRequiredPackages walks the program directory like Pulumi's host
//     (every directory, following links; package.json files inside
//     node_modules with "pulumi": {"resource": true}; nested copies too);
//   - SIGINT stops the host's gRPC server gracefully; the host exits when
//     the engine stops answering its health checks.
//
// Not implemented (the engine reports them as unsupported): policy packs,
// `pulumi new` templates, code generation, `pulumi install`
// (InstallDependencies), GetProgramDependencies, the bun runtime, debugger
// attachment, the monitor proxy and synchronous-invoke pipes (unused by the
// Node SDK 3.248). See docs/tools.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/shlex"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time: -ldflags "-X main.version=3.248.0".
var version = "0.0.0-dev"

// Exit code with which @pulumi/pulumi/cmd/run says that it has already shown
// the error to the user.
const exitCodeErrorReported = 32

// How long node has to exit after SIGINT before it is killed.
const interruptGrace = 5 * time.Second

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	runtimeName := flag.String("runtime", "nodejs", "Runtime for the program (only nodejs in this build)")
	flag.String("root", "", "Project root path (unused)")
	flag.Bool("typescript", true, "Unused: the typescript runtime option in Pulumi.yaml decides")
	showVersion := flag.Bool("version", false, "Print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	logging.InitLogging(false, 0, false)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}
	if *runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime: %s (this build runs nodejs only)", *runtimeName))
	}

	// SIGINT, or an engine that no longer answers, stops the gRPC server
	// gracefully (a running program keeps its own signal handling).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stopServing := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(stopServing)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	cancelCtx, cancel := context.WithCancel(context.Background())
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{
				engineAddress: engineAddress,
				tracing:       tracing,
				cancelCtx:     cancelCtx,
				cancel:        cancel,
			})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
	cancelCtx     context.Context // done after the Cancel RPC
	cancel        context.CancelFunc
}

// packageJSON holds the parts of a package.json that matter here.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   []byte `json:"value"`
		} `json:"parameterization"`
	} `json:"pulumi"`
}

// pluginOf says which resource plugin a package.json asks for, if any.
func pluginOf(pkg packageJSON) (*pulumirpc.PackageDependency, error) {
	if !pkg.Pulumi.Resource {
		return nil, nil
	}
	name := pkg.Pulumi.Name
	if name == "" {
		switch {
		case pkg.Name == "":
			return nil, errors.New(`no "name"`)
		case strings.HasPrefix(pkg.Name, "@pulumi/"):
			name = strings.TrimPrefix(pkg.Name, "@pulumi/")
		default:
			return nil, fmt.Errorf(`package %s is not in the @pulumi scope: its package.json needs "pulumi": {"name": ...}`,
				pkg.Name)
		}
	}
	v := pkg.Pulumi.Version
	if v == "" {
		v = pkg.Version
	}
	if v == "" {
		return nil, errors.New(`no "version"`)
	}
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	dep := &pulumirpc.PackageDependency{Kind: "resource", Name: name, Version: v, Server: pkg.Pulumi.Server}
	if p := pkg.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	return dep, nil
}

// findPackages walks dir the way Pulumi's Node.js host does: every
// directory below it (following symbolic links, each real directory once,
// skipping policy packs), reading the package.json files that are somewhere
// inside a node_modules directory. Problems are collected, not fatal.
func findPackages(dir string, inNodeModules bool, seen map[string]bool, errs *[]error) []*pulumirpc.PackageDependency {
	dir, err := filepath.Abs(dir)
	if err != nil {
		*errs = append(*errs, err)
		return nil
	}
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("reading plugin dir %s: %w", dir, err))
		return nil
	}
	var deps []*pulumirpc.PackageDependency
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("resolving link in plugin dir %s: %w", path, err))
				continue
			}
			st, err := os.Stat(target)
			if err != nil {
				*errs = append(*errs, err)
				continue
			}
			path, isDir = target, st.IsDir()
		}
		switch {
		case isDir:
			if pack, err := isPolicyPack(path); err != nil {
				*errs = append(*errs, err)
				continue
			} else if pack {
				continue
			}
			deps = append(deps, findPackages(path, inNodeModules || filepath.Base(dir) == "node_modules", seen, errs)...)
		case inNodeModules && e.Name() == "package.json":
			b, err := os.ReadFile(path)
			if err != nil {
				*errs = append(*errs, err)
				continue
			}
			var pkg packageJSON
			if err := json.Unmarshal(b, &pkg); err != nil {
				*errs = append(*errs, fmt.Errorf("unmarshaling package.json %s: %w", path, err))
				continue
			}
			dep, err := pluginOf(pkg)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("unmarshaling package.json %s: %w", path, err))
			} else if dep != nil {
				deps = append(deps, dep)
			}
		}
	}
	return deps
}

// isPolicyPack says whether dir holds a policy pack (PulumiPolicy.json,
// .yaml or .yml, checked in that order; a directory of that name means no).
func isPolicyPack(dir string) (bool, error) {
	for _, ext := range []string{".json", ".yaml", ".yml"} {
		st, err := os.Stat(filepath.Join(dir, "PulumiPolicy"+ext))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		return !st.IsDir(), nil
	}
	return false, nil
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var errs []error
	deps := findPackages(req.GetInfo().GetProgramDirectory(), false, map[string]bool{}, &errs)
	if len(errs) > 0 {
		logging.V(3).Infof("one or more errors while discovering plugins: %v", errors.Join(errs...))
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Cancel interrupts a running program (see Run).
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// runOptions are the `runtime.options` of Pulumi.yaml that this host reads.
type runOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

func readOptions(m map[string]any) (runOptions, error) {
	opts := runOptions{typescript: true}
	var ok bool
	if v, has := m["typescript"]; has {
		if opts.typescript, ok = v.(bool); !ok {
			return opts, errors.New("typescript option must be a boolean")
		}
	}
	if v, has := m["tsconfig"]; has {
		if opts.tsconfig, ok = v.(string); !ok {
			return opts, errors.New("tsconfigpath option must be a string")
		}
	}
	if v, has := m["nodeargs"]; has {
		if opts.nodeargs, ok = v.(string); !ok {
			return opts, errors.New("nodeargs option must be a string")
		}
	}
	if v, has := m["packagemanager"]; has {
		pm, ok := v.(string)
		if !ok {
			return opts, errors.New("packagemanager option must be a string")
		}
		switch pm {
		case "auto", "npm", "yarn", "pnpm", "bun":
		default:
			return opts, fmt.Errorf("packagemanager option must be one of auto, npm, yarn, pnpm or bun, got %q", pm)
		}
	}
	return opts, nil
}

// resolveRunScript finds @pulumi/pulumi/cmd/run (or
// $PULUMI_LANGUAGE_NODEJS_RUN_PATH) as the program would.
func resolveRunScript(nodeBin, dir string) (string, error) {
	mod := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if mod == "" {
		mod = "@pulumi/pulumi/cmd/run"
	}
	script := "try { console.log(require.resolve(" + strconv.Quote(mod) + ")); } catch (e) { " +
		"console.error(e.code === 'MODULE_NOT_FOUND' ? " +
		"'The Pulumi SDK (@pulumi/pulumi) is not installed for this program: run pulumi install (or npm install).' " +
		": e.message); " +
		"process.exit(1); }"
	cmd := exec.Command(nodeBin, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errors.New(string(exitErr.Stderr))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// configJSON is PULUMI_CONFIG: the config with keys in the older
// "<namespace>:config:<name>" form (the Node SDK accepts both).
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	fail := func(err error) (*pulumirpc.RunResponse, error) {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fail(fmt.Errorf("could not find node on the $PATH: %w", err))
	}
	runScript, err := resolveRunScript(nodeBin, dir)
	if err != nil {
		return fail(err)
	}

	args := []string{runScript}
	flagIf := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagIf("monitor", req.GetMonitorAddress())
	flagIf("engine", h.engineAddress)
	flagIf("organization", req.GetOrganization())
	flagIf("project", req.GetProject())
	flagIf("root-directory", info.GetRootDirectory())
	flagIf("stack", req.GetStack())
	flagIf("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagIf("parallel", strconv.Itoa(int(req.GetParallel())))
	flagIf("tracing", h.tracing)
	args = append(args, info.GetEntryPoint())
	args = append(args, req.GetArgs()...)

	cfg := "{}"
	if req.GetConfig() != nil {
		if cfg, err = configJSON(req.GetConfig()); err != nil {
			return fail(fmt.Errorf("failed to serialize configuration: %w", err))
		}
	}
	secretKeys := "[]"
	if keys := req.GetConfigSecretKeys(); keys != nil {
		b, err := json.Marshal(keys)
		if err != nil {
			return fail(fmt.Errorf("failed to serialize configuration secret keys: %w", err))
		}
		secretKeys = string(b)
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+cfg, "PULUMI_CONFIG_SECRET_KEYS="+secretKeys)
	opts, err := readOptions(info.GetOptions().AsMap())
	if err != nil {
		return fail(err)
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	nodeArgs, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return fail(err)
	}
	args = append(nodeArgs, args...)

	// The Cancel RPC or the end of this request interrupts node.
	runCtx, stopRun := context.WithCancel(h.cancelCtx)
	defer stopRun()
	context.AfterFunc(ctx, stopRun)
	logging.V(5).Infof("language host launching: %s %s", nodeBin, strings.Join(args, " "))
	cmd := exec.CommandContext(runCtx, nodeBin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = interruptGrace
	cmd.Dir = dir
	cmd.Env = env
	// Copy through writers of our own rather than handing node our stdout
	// and stderr: node may switch a descriptor it is given to non-blocking.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	stderrR, stderrW := io.Pipe()
	cmd.Stderr = stderrW
	stderr := watchStderr(stderrR, os.Stderr, stopRun)

	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	_ = stderrW.Close()
	stderr.wait()
	if hangErr := stderr.hangError(); hangErr != nil {
		return fail(hangErr)
	}
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fail(fmt.Errorf("Problem executing program (could not run language executor): %w", err))
	}
	switch code := exitErr.ExitCode(); code {
	case 0:
		return fail(fmt.Errorf("Program exited unexpectedly: %w", exitErr))
	case exitCodeErrorReported:
		return &pulumirpc.RunResponse{Bail: true}, nil
	default:
		msg := fmt.Sprintf("Program exited with non-zero exit code: %d", code)
		if stderr.oom {
			msg += ". node seems to have run out of memory: raise its heap limit with the `nodeargs` " +
				"runtime option in Pulumi.yaml, e.g. `nodeargs: --max-old-space-size=<megabytes>`"
		}
		return &pulumirpc.RunResponse{Error: msg}, nil
	}
}

// releasedLineLimit is the longest stderr line, newline included, that
// Pulumi's host reads: it scans node's stderr (for its out-of-memory hint)
// with a bufio.Scanner and the default buffer, bufio.MaxScanTokenSize.
const releasedLineLimit = bufio.MaxScanTokenSize

// stderrWatch copies node's stderr to the host's stderr the way Pulumi's host
// does: through its scanner, which sees each line. It notices an
// out-of-memory crash, and the point where that scanner gives up: a line
// that reaches 65536 bytes without a newline. There Pulumi's host stops
// reading node's stderr: the next byte node writes to stderr is never read,
// so node blocks once the pipe is full, and even when node exits, the host
// waits forever for the copy of its stderr to finish (exec's WaitDelay
// closes the pipe but then waits for the blocked copying goroutine): the
// run never ends. Here the program is stopped at that point instead
// (onHang) and Run fails with an error that says why.
type stderrWatch struct {
	out    io.Writer
	onHang func()
	done   chan struct{}
	line   []byte // the current line, at most releasedLineLimit bytes
	oom    bool
	hang   *longLine
}

// longLine is the stderr line on which Pulumi's host would stop reading.
type longLine struct {
	length   int
	complete bool
	prefix   []byte
}

func watchStderr(r io.Reader, out io.Writer, onHang func()) *stderrWatch {
	w := &stderrWatch{out: out, onHang: onHang, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			w.take(buf[:n])
			if err != nil {
				w.end()
				return
			}
		}
	}()
	return w
}

func (w *stderrWatch) take(p []byte) {
	for len(p) > 0 {
		if h := w.hang; h != nil {
			// Measure the rest of the line; show nothing more.
			if !h.complete {
				if i := bytes.IndexByte(p, '\n'); i >= 0 {
					h.length += i
					h.complete = true
				} else {
					h.length += len(p)
				}
			}
			return
		}
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if n := len(w.line) + len(seg); n > releasedLineLimit || (i >= 0 && n == releasedLineLimit) {
			shown := seg[:releasedLineLimit-len(w.line)]
			_, _ = w.out.Write(shown)
			prefix := append([]byte{}, w.line[:min(len(w.line), 100)]...)
			if len(prefix) < 100 {
				prefix = append(prefix, seg[:min(len(seg), 100-len(prefix))]...)
			}
			w.hang = &longLine{length: n, complete: i >= 0, prefix: prefix}
			w.line = nil
			w.onHang()
			return
		}
		if i < 0 {
			_, _ = w.out.Write(seg)
			w.line = append(w.line, seg...)
			return
		}
		_, _ = w.out.Write(p[:i+1])
		w.line = append(w.line, seg...)
		w.checkOOM()
		p = p[i+1:]
	}
}

func (w *stderrWatch) end() {
	if w.hang == nil && len(w.line) > 0 && len(w.line) < releasedLineLimit {
		w.checkOOM()
	}
}

func (w *stderrWatch) checkOOM() {
	line := string(w.line)
	w.line = w.line[:0]
	if strings.Contains(line, "<--- Last few GCs --->") ||
		strings.Contains(line, "Check failed: needs_context && current_scope_ == closure_scope_") {
		w.oom = true
	}
}

// wait waits (up to 15 s) for the end of node's stderr.
func (w *stderrWatch) wait() {
	select {
	case <-w.done:
	case <-time.After(15 * time.Second):
	}
}

// hangError is the error for a run on which Pulumi's host would have hung.
func (w *stderrWatch) hangError() error {
	h := w.hang
	if h == nil {
		return nil
	}
	length := strconv.Itoa(h.length) + " bytes"
	if !h.complete {
		length = "at least " + length
	}
	prefix := h.prefix
	for len(prefix) > 0 && !utf8.Valid(prefix) {
		prefix = prefix[:len(prefix)-1]
	}
	return fmt.Errorf("the released pulumi-language-nodejs %s would hang on this program, so it was stopped: "+
		"a line of the program's stderr is %s long (without its newline), starting %q. "+
		"That language host reads the program's stderr with a bufio.Scanner that takes lines of at most %d "+
		"bytes including the newline (bufio.MaxScanTokenSize); at a longer line it stops reading, and the "+
		"run never finishes (the program blocks on stderr, and even a program that ends is waited for forever). "+
		"Write shorter lines to stderr (console.error/console.warn), e.g. put big data in a file",
		version, length, string(prefix)+"...", releasedLineLimit)
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find executable %q: %w", "node", err)
	}
	resp := &pulumirpc.AboutResponse{Executable: nodeBin}
	if out, err := exec.Command(nodeBin, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	return resp, nil
}
