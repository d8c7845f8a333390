package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/jira-align-tf/terraform-provider-jira/internal/modelcmp"
)

// writeState is every handler's one rule for writing its model: after a read, prior is the
// state the framework already copied into the response, and a model equal to it is not written
// again (converting a model is the largest cost of a refresh that changed nothing, see
// modelcmp); otherwise (prior nil: a create, an update, a data source) the model is written.
func writeState[M any](ctx context.Context, st *tfsdk.State, prior, m *M) diag.Diagnostics {
	if prior != nil && modelcmp.Equal(*prior, *m) {
		return nil
	}
	return st.Set(ctx, m)
}
