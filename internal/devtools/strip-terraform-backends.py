#!/usr/bin/env python3
"""Prepares a copy of the Terraform 1.16 module for `go build` (run inside the copy).

The module's go.mod requires and replaces nested modules under internal/ (the remote-state
backends and internal/legacy) that the module zip does not carry. This drops those go.mod
lines and the nine remote-state backends that live in them from internal/backend/init/init.go.
"""
import re

BACKENDS = ["azure", "consul", "cos", "gcs", "kubernetes", "oss", "pg", "s3", "oci"]
ALIASES = {"azure": "backendAzure", "consul": "backendConsul", "cos": "backendCos",
           "gcs": "backendGCS", "kubernetes": "backendKubernetes", "oss": "backendOSS",
           "pg": "backendPg", "s3": "backendS3", "oci": "backendOCI"}

mod = open("go.mod").read()
mod = "\n".join(l for l in mod.splitlines()
                if "github.com/hashicorp/terraform/internal/" not in l) + "\n"
open("go.mod", "w").write(mod)

path = "internal/backend/init/init.go"
src = open(path).read()
for b in BACKENDS:
    alias = ALIASES[b]
    src, n = re.subn(r'\n\s*%s "github.com/hashicorp/terraform/internal/backend/remote-state/%s"' % (alias, b), "", src)
    assert n == 1, "import of %s not found" % b
    src, n = re.subn(r'\n\s*"[a-z0-9]+":\s*func\(\) backend\.Backend \{ return %s\.New\(\) \},' % alias, "", src)
    assert n == 1, "map entry of %s not found" % b
open(path, "w").write(src)
