// Package local implements the local part of @pulumi/command 1.2.1:
// command:local:Command and command:local:run, with the inputs, outputs and
// behaviour that the SDK documents:
//
//   - create runs on creation; on a change of inputs, update runs (create when
//     there is no update); delete runs on deletion; a change of triggers
//     replaces the resource (the SDK asks for that with replaceOnChanges);
//   - commands run with interpreter (default /bin/sh -c) in dir, with the
//     provider's environment plus environment, and stdin on standard input;
//   - stdout and stderr become outputs (one trailing newline trimmed) and are
//     logged unless logging says otherwise; update and delete see the previous
//     ones as PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR (for update only if
//     addPreviousOutputInEnv, default true);
//   - a non-zero exit fails the step, with the output in the error.
//
// assetPaths and archivePaths are not supported (an error if set).
package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
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
	Logging                *string            `pulumi:"logging,optional"`
}

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

func newID(name string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return name + hex.EncodeToString(b), nil
}

// Create runs the create command.
func (*Command) Create(
	ctx context.Context, req infer.CreateRequest[CommandInputs],
) (infer.CreateResponse[CommandOutputs], error) {
	id, err := newID(req.Name)
	if err != nil {
		return infer.CreateResponse[CommandOutputs]{}, err
	}
	state := CommandOutputs{CommandInputs: req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, nil
	}
	if req.Inputs.Create != nil {
		state.BaseOutputs, err = run(ctx, *req.Inputs.Create, req.Inputs.BaseInputs, nil)
		if err != nil {
			return infer.CreateResponse[CommandOutputs]{}, err
		}
	}
	return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, nil
}

// Update runs the update command, or the create command when there is none.
func (*Command) Update(
	ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs],
) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	command := req.Inputs.Update
	if command == nil {
		command = req.Inputs.Create
	}
	if command != nil {
		var prev *BaseOutputs
		if req.Inputs.AddPreviousOutputInEnv == nil || *req.Inputs.AddPreviousOutputInEnv {
			prev = &req.State.BaseOutputs
		}
		out, err := run(ctx, *command, req.Inputs.BaseInputs, prev)
		if err != nil {
			return infer.UpdateResponse[CommandOutputs]{}, err
		}
		state.BaseOutputs = out
	}
	return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
}

// Delete runs the delete command.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	_, err := run(ctx, *req.State.Delete, req.State.BaseInputs, &req.State.BaseOutputs)
	return infer.DeleteResponse{}, err
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
	out, err := run(ctx, req.Input.Command, req.Input.BaseInputs, nil)
	if err != nil {
		return infer.FunctionResponse[RunOutputs]{}, err
	}
	return infer.FunctionResponse[RunOutputs]{Output: RunOutputs{RunInputs: req.Input, BaseOutputs: out}}, nil
}

// logs tells which streams to log.
func logs(logging *string) (stdout, stderr bool, err error) {
	if logging == nil {
		return true, true, nil
	}
	switch *logging {
	case "stdout":
		return true, false, nil
	case "stderr":
		return false, true, nil
	case "stdoutAndStderr":
		return true, true, nil
	case "none":
		return false, false, nil
	}
	return false, false, fmt.Errorf("logging: unknown value %q (stdout, stderr, stdoutAndStderr or none)", *logging)
}

// run runs one command as described in the package comment.
func run(ctx context.Context, command string, in BaseInputs, prev *BaseOutputs) (BaseOutputs, error) {
	if (in.AssetPaths != nil && len(*in.AssetPaths) > 0) || (in.ArchivePaths != nil && len(*in.ArchivePaths) > 0) {
		return BaseOutputs{}, errors.New("assetPaths and archivePaths are not supported by this build of the command provider")
	}
	logOut, logErr, err := logs(in.Logging)
	if err != nil {
		return BaseOutputs{}, err
	}
	interpreter := []string{"/bin/sh", "-c"}
	if in.Interpreter != nil && len(*in.Interpreter) > 0 {
		interpreter = *in.Interpreter
	}
	args := append(append([]string{}, interpreter[1:]...), command)
	cmd := exec.CommandContext(ctx, interpreter[0], args...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	}
	cmd.Env = os.Environ()
	if in.Environment != nil {
		for k, v := range *in.Environment {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if prev != nil {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+prev.Stdout, "PULUMI_COMMAND_STDERR="+prev.Stderr)
	}
	if in.Stdin != nil {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}

	logger := p.GetLogger(ctx)
	var stdout, stderr bytes.Buffer
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	var wg sync.WaitGroup
	copyLines := func(r io.Reader, buf *bytes.Buffer, log bool) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			buf.Write(sc.Bytes())
			buf.WriteByte('\n')
			if log {
				logger.InfoStatus(sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}
	wg.Add(2)
	go copyLines(outR, &stdout, logOut)
	go copyLines(errR, &stderr, logErr)
	runErr := cmd.Run()
	_ = outW.Close()
	_ = errW.Close()
	wg.Wait()

	out := BaseOutputs{
		Stdout: strings.TrimSuffix(stdout.String(), "\n"),
		Stderr: strings.TrimSuffix(stderr.String(), "\n"),
	}
	if runErr != nil {
		return out, fmt.Errorf("%w: running %q:\nStdout:\n%s\nStderr:\n%s", runErr, command, out.Stdout, out.Stderr)
	}
	return out, nil
}
