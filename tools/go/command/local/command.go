// Package local implements the local part of @pulumi/command 1.2.1,
// command:local:Command and command:local:run, behaving as the released
// pulumi-command v1.2.1 does wherever a program can observe it (see
// docs/tools.md, "Known differences", for what remains):
//
//   - Create runs `create` (nothing in preview or without it); Update runs
//     `update`, or `create` when there is no `update`, and keeps the previous
//     stdout/stderr when there is neither; Delete runs `delete`. A change of
//     `triggers` replaces the resource (replaceOnChanges), any other change
//     is an update.
//   - A command runs as interpreter (default /bin/sh -c) + command, in `dir`
//     (default: the provider's working directory), with the provider's
//     environment plus `environment`, and `stdin` on standard input only when
//     it is not empty (otherwise /dev/null).
//   - Update and Delete set PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR to
//     the stored stdout / stderr, each only when it is not empty, and only
//     when addPreviousOutputInEnv (of the new inputs for Update, of the
//     stored ones for Delete) is unset or true. Create and run never do.
//   - stdout and stderr are stored as read, minus one trailing "\n".
//   - The logged streams (`logging`: both by default) are sent to the engine
//     line by line as status messages; a line that the released plugin's
//     64 KiB scanner cannot read, on which the released plugin would hang,
//     fails the step here instead (see lineLog).
//   - A command that fails fails the step with "<error>: running <command>:"
//     and the interleaved stdout and stderr; nothing is stored.
//
// assetPaths and archivePaths are not supported (an error if set).
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// BaseInputs are the inputs shared by Command and run.
type BaseInputs struct {
	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
}

// Logging says which of the command's streams are logged. Values other than
// the four below are accepted and log nothing, as in the released plugin.
type Logging string

// Values makes Logging an enum in the schema.
func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: "stdout", Value: "stdout", Description: "Log stdout only"},
		{Name: "stderr", Value: "stderr", Description: "Log stderr only"},
		{Name: "stdoutAndStderr", Value: "stdoutAndStderr", Description: "Log stdout and stderr"},
		{Name: "none", Value: "none", Description: "Log neither"},
	}
}

func (l *Logging) logsStdout() bool { return l == nil || *l == "stdout" || *l == "stdoutAndStderr" }
func (l *Logging) logsStderr() bool { return l == nil || *l == "stderr" || *l == "stdoutAndStderr" }

// BaseOutputs are the outputs shared by Command and run.
type BaseOutputs struct {
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Command is command:local:Command.
type Command struct{}

// CommandInputs are the inputs of command:local:Command.
type CommandInputs struct {
	BaseInputs
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Delete   *string `pulumi:"delete,optional"`
	Update   *string `pulumi:"update,optional"`
}

// CommandOutputs are the state of command:local:Command.
type CommandOutputs struct {
	CommandInputs
	BaseOutputs
}

// Annotate documents the resource in the schema.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A local command to be executed. A command is considered to have failed when it "+
		"finished with a non-zero exit code. This will fail the CRUD step of the `Command` resource.")
}

// Create runs the create command.
func (*Command) Create(
	ctx context.Context, req infer.CreateRequest[CommandInputs],
) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
	}
	err = run(ctx, *req.Inputs.Create, state.BaseInputs, &state.BaseOutputs)
	return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
}

// Update runs the update command, or the create command when there is none.
// The stored stdout/stderr stay until a command succeeds.
func (*Command) Update(
	ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs],
) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, BaseOutputs: req.State.BaseOutputs}
	command := req.Inputs.Update
	if command == nil {
		command = req.Inputs.Create
	}
	if req.DryRun || command == nil {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	err := run(ctx, *command, state.BaseInputs, &state.BaseOutputs)
	return infer.UpdateResponse[CommandOutputs]{Output: state}, err
}

// Delete runs the delete command.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	state := req.State
	if state.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, run(ctx, *state.Delete, state.BaseInputs, &state.BaseOutputs)
}

// Run is the command:local:run function.
type Run struct{}

// RunInputs are the inputs of command:local:run.
type RunInputs struct {
	BaseInputs
	Command string `pulumi:"command"`
}

// RunOutputs are the result of command:local:run.
type RunOutputs struct {
	RunInputs
	BaseOutputs
}

// Annotate documents the function in the schema.
func (r *Run) Annotate(a infer.Annotator) {
	a.Describe(&r, "A local command to be executed. This command will always be run on any preview or deployment.")
	a.SetToken("local", "run")
}

// Invoke runs the command.
func (*Run) Invoke(ctx context.Context, req infer.FunctionRequest[RunInputs]) (infer.FunctionResponse[RunOutputs], error) {
	r := RunOutputs{RunInputs: req.Input}
	err := run(ctx, req.Input.Command, r.BaseInputs, &r.BaseOutputs)
	return infer.FunctionResponse[RunOutputs]{Output: r}, err
}

// hangGrace is how long a command may go on after a line on which the
// released plugin would hang, so that the line's length can be reported.
const hangGrace = time.Second

// run runs one command as described in the package comment. out holds the
// previous stdout/stderr (empty for Create and run) and receives the new
// ones when the command succeeds.
func run(ctx context.Context, command string, in BaseInputs, out *BaseOutputs) error {
	if (in.AssetPaths != nil && len(*in.AssetPaths) > 0) || (in.ArchivePaths != nil && len(*in.ArchivePaths) > 0) {
		return errors.New("assetPaths and archivePaths are not supported by this build of the command provider")
	}
	args := []string{"/bin/sh", "-c"}
	if in.Interpreter != nil && len(*in.Interpreter) > 0 {
		args = append([]string{}, *in.Interpreter...)
	}
	args = append(args, command)

	logger := p.GetLogger(ctx)
	cmdCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(cmdCtx, args[0], args[1:]...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		cmd.Dir = wd
	}
	cmd.Env = os.Environ()
	if in.Environment != nil {
		for k, v := range *in.Environment {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv {
		if out.Stdout != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+out.Stdout)
		}
		if out.Stderr != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+out.Stderr)
		}
	}
	if in.Stdin != nil && len(*in.Stdin) > 0 {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}

	// The command writes into pipes that we read ourselves (not through
	// exec's copying goroutines), so that a command on which the released
	// plugin would hang can be stopped without waiting for whatever else
	// still holds its output open.
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outR.Close()
		_ = outW.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, errW

	var stdout, stderr, both bytes.Buffer // both: interleaved, for the error message
	var bothMu sync.Mutex
	hung := make(chan struct{})
	var hangOnce sync.Once
	stop := func() {
		hangOnce.Do(func() {
			kill()
			close(hung)
		})
	}
	var graceTimer *time.Timer
	lines := newLineLog(logger.InfoStatus, func() {
		graceTimer = time.AfterFunc(hangGrace, stop)
	}, stop)
	readDone := make(chan struct{})
	var readers sync.WaitGroup
	read := func(r *os.File, s stream, own *bytes.Buffer, logged bool) {
		defer readers.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				own.Write(buf[:n])
				bothMu.Lock()
				both.Write(buf[:n])
				bothMu.Unlock()
				if logged {
					lines.write(s, buf[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}

	err = cmd.Start()
	_ = outW.Close()
	_ = errW.Close()
	if err == nil {
		readers.Add(2)
		go read(outR, streamStdout, &stdout, in.Logging.logsStdout())
		go read(errR, streamStderr, &stderr, in.Logging.logsStderr())
		go func() {
			readers.Wait()
			close(readDone)
		}()
		err = cmd.Wait()
		// Like the released plugin, wait until the output is closed by
		// everything that holds it (e.g. background processes) — unless the
		// released plugin would hang, then stop reading.
		select {
		case <-readDone:
			lines.close(true)
		case <-hung:
			_ = outR.Close()
			_ = errR.Close()
			<-readDone
			lines.close(false)
		}
	}
	_ = outR.Close()
	_ = errR.Close()
	if graceTimer != nil {
		graceTimer.Stop()
	}
	if hangErr := lines.hangError(command); hangErr != nil {
		return hangErr
	}
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, command, both.String())
	}
	out.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	out.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}
