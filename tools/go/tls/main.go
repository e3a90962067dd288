// Command pulumi-resource-tls is the Pulumi provider plugin for @pulumi/tls,
// built for this project's tools cache (`npm run tools`).
//
// Pulumi's own pulumi-tls provider module is not served by the Go module
// proxy this project can reach, but what it is made of is: the Terraform TLS
// provider (plugin framework) and the Pulumi Terraform bridge. This file is
// the glue: standard token names (tls_private_key -> tls:index/privateKey:
// PrivateKey, the names @pulumi/tls uses), the Pulumi schema generated from
// the Terraform schema at start-up, served by the bridge.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	tlsshim "github.com/hashicorp/terraform-provider-tls/shim"
	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
)

// version is set at build time: -ldflags "-X main.version=5.6.1".
var version = "0.0.0-dev"

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-resource-tls: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	ctx := context.Background()
	info := tfbridge.ProviderInfo{
		P:           pftfbridge.ShimProvider(tlsshim.NewProvider()),
		Name:        "tls",
		Version:     version,
		DisplayName: "TLS",
		Publisher:   "Pulumi",
		Description: "A Pulumi package to create TLS resources in Pulumi programs.",
		Keywords:    []string{"pulumi", "tls"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-tls",
		GitHubOrg:   "hashicorp",
		JavaScript:  &tfbridge.JavaScriptInfo{},
		// The plugin-framework bridge needs metadata; Pulumi's build generates
		// it with tfgen, here it starts empty and the schema generation below
		// fills it in, in this process.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
	}
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))

	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	res, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		fail("generating schema: %v", err)
	}
	schema, err := json.Marshal(res.PackageSpec)
	if err != nil {
		fail("encoding schema: %v", err)
	}
	pftfbridge.Main(ctx, "tls", info, pftfbridge.ProviderMetadata{PackageSchema: schema})
}
