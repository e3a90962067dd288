// Command pulumi-resource-openstack is the Pulumi provider plugin for
// @pulumi/openstack, built for this project's tools cache (`npm run tools`).
//
// Pulumi's own pulumi-openstack provider module is not served by the Go
// module proxy this project can reach, but what it is made of is: the
// Terraform OpenStack provider at the version that @pulumi/openstack 3.15.2
// wraps (v1.54.1) and the Pulumi Terraform bridge. This file is the glue: it
// names every Terraform resource and data source with the token that the SDK
// uses (tokens.go), generates the Pulumi schema from the Terraform schema at
// start-up, and serves the provider with the bridge.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-provider-openstack/terraform-provider-openstack/openstack"
)

// version is set at build time: -ldflags "-X main.version=3.15.2".
var version = "0.0.0-dev"

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-resource-openstack: "+format+"\n", args...)
	os.Exit(1)
}

func providerInfo() tfbridge.ProviderInfo {
	p := shimv2.NewProvider(openstack.Provider())
	info := tfbridge.ProviderInfo{
		P:           p,
		Name:        "openstack",
		Version:     version,
		DisplayName: "OpenStack",
		Publisher:   "Pulumi",
		Description: "A Pulumi package for creating and managing OpenStack cloud resources.",
		Keywords:    []string{"pulumi", "openstack"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-openstack",
		GitHubOrg:   "terraform-provider-openstack",
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
		JavaScript:  &tfbridge.JavaScriptInfo{},
	}
	p.ResourcesMap().Range(func(name string, _ shim.Resource) bool {
		tok, ok := resourceTokens[name]
		if !ok {
			fail("no token for Terraform resource %s", name)
		}
		info.Resources[name] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
		return true
	})
	p.DataSourcesMap().Range(func(name string, _ shim.Resource) bool {
		tok, ok := dataSourceTokens[name]
		if !ok {
			fail("no token for Terraform data source %s", name)
		}
		info.DataSources[name] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
		return true
	})
	// Property names that @pulumi/openstack spells differently from the
	// bridge's default (found by the input/output comparison in the test).
	info.Resources["openstack_networking_subnet_v2"].Fields = map[string]*tfbridge.SchemaInfo{
		"allocation_pools": {Name: "allocationPoolsCollection"},
		"allocation_pool":  {Name: "allocationPools"},
	}
	info.Resources["openstack_orchestration_stack_v1"].Fields = map[string]*tfbridge.SchemaInfo{
		"outputs": {Name: "StackOutputs"},
	}
	return info
}

func main() {
	info := providerInfo()
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
	tfbridge.Main("openstack", version, info, schema)
}
