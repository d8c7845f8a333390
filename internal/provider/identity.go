package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// idIdentity is the resource identity of jira_align_connector and jira_application_link: the
// object's id in its peer, the same value as the id attribute. Terraform 1.12+ keeps it in state
// beside the attributes, `import` blocks can name it (`identity = { id = "12" }`), and list
// resources return it for `terraform query`.
type idIdentity struct {
	ID types.String `tfsdk:"id"`
}

func idIdentitySchema(description string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       description,
			},
		},
	}
}

// setIdentity records id as the resource identity. identity is nil when the CLI has no resource
// identity support (Terraform before 1.12), and there is nothing to record.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id string) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, idIdentity{ID: types.StringValue(id)})
}

// importID returns what an import names: the id of `terraform import` or an import block's id,
// trimmed, or, from an import block's identity, that identity's id; fromIdentity says which.
func importID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (id string, fromIdentity bool) {
	if req.ID != "" || req.Identity == nil {
		return strings.TrimSpace(req.ID), false
	}
	var ident idIdentity
	diags.Append(req.Identity.Get(ctx, &ident)...)
	return strings.TrimSpace(ident.ID.ValueString()), true
}
