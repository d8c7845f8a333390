package provider_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tfjsonPath(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

var (
	smallOnce sync.Once
	smallPEM  string
)

// smallKeyPEM is a 1024-bit RSA key: valid PEM, too small for Jira Align.
func smallKeyPEM(t *testing.T) string {
	t.Helper()
	smallOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // deliberately too small: the test checks it is rejected
		if err != nil {
			t.Fatal(err)
		}
		smallPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	})
	return smallPEM
}

// writeOnlyCLI skips a test on a CLI without write-only attributes (before Terraform and
// OpenTofu 1.11), saying so.
func writeOnlyCLI() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{reasonedCheck{tfversion.SkipBelow(tfversion.Version1_11_0),
		"write-only attributes need Terraform or OpenTofu 1.11 or later"}}
}

// noWriteOnlyCLI runs a test only on a CLI without write-only attributes.
func noWriteOnlyCLI() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{reasonedCheck{tfversion.SkipAbove(tfversion.Version1_10_0),
		"this CLI has write-only attributes; the test checks the error of a CLI before 1.11"}}
}

// reasonedCheck puts the reason first in a version check's skip message.
type reasonedCheck struct {
	check  tfversion.TerraformVersionCheck
	reason string
}

func (c reasonedCheck) CheckTerraformVersion(ctx context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	c.check.CheckTerraformVersion(ctx, req, resp)
	if resp.Skip != "" {
		resp.Skip = fmt.Sprintf("%s (CLI version %s)", c.reason, req.TerraformVersion)
	}
}
