// Command pulumi-resource-command is the Pulumi provider plugin for
// @pulumi/command, built for this project's tools cache (`npm run tools`).
//
// Pulumi's own provider (github.com/pulumi/pulumi-command/provider) is not
// served by the Go module proxy this project can reach, so this is a
// provider of our own with the same tokens, inputs and outputs for the local
// part of @pulumi/command 1.2.1: the command:local:Command resource and the
// command:local:run function (see package local). The remote:* resources are
// not provided.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"slurm-image-builder/tools/command/local"
)

// version is set at build time: -ldflags "-X main.version=1.2.1".
var version = "0.0.0-dev"

func main() {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("Command").
		WithDescription("The Pulumi Command Provider enables you to execute commands and scripts either locally or remotely as part of the Pulumi resource model.").
		WithNamespace("pulumi").
		WithResources(infer.Resource(&local.Command{})).
		WithFunctions(infer.Function(&local.Run{})).
		Build()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), "command", version, prov); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
