package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

var (
	_ resource.Resource                = (*applicationLinkResource)(nil)
	_ resource.ResourceWithConfigure   = (*applicationLinkResource)(nil)
	_ resource.ResourceWithImportState = (*applicationLinkResource)(nil)
)

// NewApplicationLinkResource is the factory of jira_application_link.
func NewApplicationLinkResource() resource.Resource { return &applicationLinkResource{} }

type applicationLinkResource struct{ c *clients }

func (r *applicationLinkResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_application_link"
}

func (r *applicationLinkResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
		MarkdownDescription: "A generic application link in Jira with an incoming OAuth consumer: the \"Application Links > " +
			"Incoming Authentication\" step that registers Jira Align's public key. Managed with the provider's `jira_username` " +
			"and `jira_password`, which must be a Jira administrator's. Deleting the link revokes every access token issued to its consumer.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The application link id (a UUID).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Link name shown in Jira, for example `Jira Align`. Changing it replaces the link.",
				Validators:          []validator.String{validators.Name()},
				PlanModifiers:       replace,
			},
			"rpc_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The Jira Align URL (application URL). One link per URL. Changing it replaces the link.",
				CustomType:          customtypes.URLType{},
				Validators:          []validator.String{validators.URL()},
				PlanModifiers:       replace,
			},
			"display_url": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "Display URL; defaults to `rpc_url`. Changing it replaces the link.",
				CustomType:          customtypes.URLType{},
				Validators:          []validator.String{validators.URL()},
				PlanModifiers:       []planmodifier.String{displayURLDefault{}, stringplanmodifier.RequiresReplace()},
			},
			"consumer": schema.SingleNestedAttribute{
				Required:            true,
				MarkdownDescription: "The incoming consumer: Jira Align's consumer key and public key. Changes are applied in place.",
				Attributes: map[string]schema.Attribute{
					"consumer_key": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "1 to 100 letters and digits (spaces and symbols break Jira's OAuth setup). Unique across links.",
						Validators:          []validator.String{validators.ConsumerKey()},
					},
					"public_key_pem": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "RSA public key of at least 2048 bits (`jira_align_key_pair.<name>.public_key_pem`): PEM `PUBLIC KEY`, bare base64 of the same, or PEM `RSA PUBLIC KEY` (PKCS#1, sent to Jira as a `PUBLIC KEY`). At refresh it is compared with what Jira holds as a key, not as text, so the form Jira returns it in is not drift.",
						CustomType:          customtypes.PublicKeyType{},
						Validators:          []validator.String{validators.PublicKeyPEM()},
					},
					"name": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString("Jira Align"),
						MarkdownDescription: "Consumer name shown in Jira (default `Jira Align`).",
					},
					"description": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString(""),
						MarkdownDescription: "Consumer description (default empty).",
					},
				},
			},
		},
	}
}

// displayURLDefault plans display_url = rpc_url when it is not configured.
type displayURLDefault struct{}

func (displayURLDefault) Description(context.Context) string { return "defaults to rpc_url" }
func (displayURLDefault) MarkdownDescription(context.Context) string {
	return "defaults to `rpc_url`"
}

func (displayURLDefault) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var rpc customtypes.URL
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("rpc_url"), &rpc)...)
	resp.PlanValue = rpc.StringValue
}

func (r *applicationLinkResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (r *applicationLinkResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	api := r.c.needJira(&resp.Diagnostics)
	admin, _ := r.c.jiraAdmin(&resp.Diagnostics, "jira_application_link")
	var plan applicationLinkModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if err := validators.CheckConsumerKey(plan.Consumer.ConsumerKey.ValueString()); err != nil {
		attrError(&resp.Diagnostics, path.Root("consumer").AtName("consumer_key"), "Invalid consumer key", err.Error())
		return
	}
	ctx = r.c.logContext(ctx)
	link, err := api.CreateApplicationLink(ctx, admin, plan.toAPI())
	if err != nil {
		var ue *jiraapi.UnconfirmedLinkError
		if errors.As(err, &ue) && ue.Link != nil {
			// The operation ran out of time, but the link exists: keep it in state with the
			// error, so Terraform tracks it (as tainted, replaced at the next apply) instead of
			// leaving it behind.
			plan.ID = types.StringValue(ue.Link.ID)
			resp.Diagnostics.Append(writeState(ctx, &resp.State, nil, &plan)...)
		}
		resp.Diagnostics.AddError("Cannot create the Jira application link", errorDetail(ctx, err))
		return
	}
	if link.RPCURL != "" && jiraapi.SameLinkURL(link.RPCURL) != jiraapi.SameLinkURL(plan.RPCURL.ValueString()) {
		// Jira answered with another link (a misrouting proxy): registering the consumer on it
		// would change a link this configuration did not create.
		resp.Diagnostics.AddError("Cannot create the Jira application link", fmt.Sprintf(
			"Jira answered the create with application link %q, whose rpc_url is not %q: the answer is refused and nothing is done to that link. "+
				"If Jira did create the link, the next apply reports it with the command that imports it.", link.ID, plan.RPCURL.ValueString()))
		return
	}
	if err := api.PutConsumer(ctx, admin, link.ID, plan.Consumer.toAPI()); err != nil {
		// No half-made link: take the link back out before reporting the consumer's failure.
		if derr := api.DeleteApplicationLink(ctx, admin, link.ID); derr != nil {
			resp.Diagnostics.AddError("Cannot register the incoming consumer, and cannot remove the new link",
				fmt.Sprintf("%v\n\nRemoving application link %s failed too: %v\nDelete it in Jira (Administration > Applications > Application links).", err, link.ID, derr))
			return
		}
		addConsumerError(ctx, &resp.Diagnostics, "Cannot register the incoming consumer", err, "\n\nThe application link created for it was removed again.")
		return
	}
	tflog.Info(ctx, "created Jira application link", map[string]any{"id": link.ID, "consumer_key": plan.Consumer.ConsumerKey.ValueString()})
	plan.ID = types.StringValue(link.ID)
	resp.Diagnostics.Append(writeState(ctx, &resp.State, nil, &plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, link.ID)...)
}

func (r *applicationLinkResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	api := r.c.needJira(&resp.Diagnostics)
	admin, _ := r.c.jiraAdmin(&resp.Diagnostics, "jira_application_link")
	var state applicationLinkModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = r.c.logContext(ctx)
	id := state.ID.ValueString()
	// The identity is the id, on every path (the framework wants one even when the link is gone).
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
	link, err := api.GetApplicationLink(ctx, admin, id)
	if jiraapi.IsNotFound(err) {
		resp.Diagnostics.AddWarning("Application link deleted outside Terraform",
			fmt.Sprintf("Jira application link %s no longer exists; it is removed from state and the plan will create it again.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the Jira application link", errorDetail(ctx, err))
		return
	}
	cons, err := api.GetConsumer(ctx, admin, id)
	switch {
	case jiraapi.IsNotFound(err):
		cons = nil
	case err != nil:
		resp.Diagnostics.AddError("Cannot read the application link's incoming consumer", errorDetail(ctx, err))
		return
	}
	prior := state
	state.fromAPI(link, cons)
	resp.Diagnostics.Append(writeState(ctx, &resp.State, &prior, &state)...)
}

// Update re-registers the consumer; every other attribute forces replacement.
func (r *applicationLinkResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	api := r.c.needJira(&resp.Diagnostics)
	admin, _ := r.c.jiraAdmin(&resp.Diagnostics, "jira_application_link")
	var plan, state applicationLinkModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = r.c.logContext(ctx)
	plan.ID = state.ID
	if err := api.PutConsumer(ctx, admin, state.ID.ValueString(), plan.Consumer.toAPI()); err != nil {
		addConsumerError(ctx, &resp.Diagnostics, "Cannot update the incoming consumer", err, "")
		return
	}
	resp.Diagnostics.Append(writeState(ctx, &resp.State, nil, &plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.ID.ValueString())...)
}

func (r *applicationLinkResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	api := r.c.needJira(&resp.Diagnostics)
	admin, _ := r.c.jiraAdmin(&resp.Diagnostics, "jira_application_link")
	var state applicationLinkModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if err := api.DeleteApplicationLink(r.c.logContext(ctx), admin, state.ID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Cannot delete the Jira application link", errorDetail(ctx, err))
	}
}
