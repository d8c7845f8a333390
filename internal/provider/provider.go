// Package provider is the Terraform side of the project: schemas, plan logic and state. Every
// wire call lives in the alignapi and jiraapi packages.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

// Environment variables read when the matching attribute is not set.
const (
	EnvAlignURL      = "JIRA_ALIGN_URL"
	EnvAlignAPIToken = "JIRA_ALIGN_API_TOKEN"
	EnvJiraURL       = "JIRA_URL"
	EnvJiraUsername  = "JIRA_USERNAME"
	EnvJiraPassword  = "JIRA_PASSWORD"
	EnvExpiryWarning = "JIRA_EXPIRY_WARNING"
)

// DefaultExpiryWarning is how long before a connector's credential expires the plan starts to
// warn (expiry_warning's default).
const DefaultExpiryWarning = 720 * time.Hour

var (
	_ provider.Provider                  = (*jiraProvider)(nil)
	_ provider.ProviderWithListResources = (*jiraProvider)(nil)
)

type jiraProvider struct {
	version string
	now     func() time.Time
}

// New returns the provider factory for the given version.
func New(version string) func() provider.Provider {
	return NewWithClock(version, time.Now)
}

// NewWithClock is New with the clock that decides token expiry and renewal, so tests can move
// time forward. OAuth timestamps always use the real time: Jira checks them against its own clock.
func NewWithClock(version string, now func() time.Time) func() provider.Provider {
	return func() provider.Provider { return &jiraProvider{version: version, now: now} }
}

type providerModel struct {
	AlignURL       types.String         `tfsdk:"align_url"`
	AlignAPIToken  types.String         `tfsdk:"align_api_token"`
	JiraURL        types.String         `tfsdk:"jira_url"`
	JiraUsername   types.String         `tfsdk:"jira_username"`
	JiraPassword   types.String         `tfsdk:"jira_password"`
	CACertPEM      types.String         `tfsdk:"ca_cert_pem"`
	RequestTimeout customtypes.Duration `tfsdk:"request_timeout"`
	MaxRetries     types.Int64          `tfsdk:"max_retries"`
	ExpiryWarning  timetypes.GoDuration `tfsdk:"expiry_warning"`
}

func (p *jiraProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "jira"
	resp.Version = p.version
}

func (p *jiraProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the Jira connector of Jira Align (basic or OAuth 1.0a) and the Jira side of its " +
			"OAuth 1.0a setup: key pair, application link, access token.",
		Attributes: map[string]schema.Attribute{
			"align_url": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Jira Align base URL, for example `https://example.jiraalign.com`. Env: `JIRA_ALIGN_URL`. Required by `jira_align_connector`.",
			},
			"align_api_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Jira Align API token of a user with admin rights on connectors. Env: `JIRA_ALIGN_API_TOKEN`. Provider configuration is never stored in state.",
			},
			"jira_url": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Jira base URL, with its context path if any (`https://jira.example.com/jira`). Env: `JIRA_URL`. Used by `jira_application_link` and `jira_align_access_token`.",
			},
			"jira_username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Jira user for the Jira-side calls: a Jira administrator for application links, and by default the service account that approves access tokens. Env: `JIRA_USERNAME`.",
			},
			"jira_password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Password or API token of `jira_username`. Env: `JIRA_PASSWORD`.",
			},
			"ca_cert_pem": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Extra PEM trust roots for both peers (a private CA), added to the system roots.",
			},
			"request_timeout": schema.StringAttribute{
				Optional:            true,
				CustomType:          customtypes.DurationType{},
				Validators:          []validator.String{validators.Duration()},
				MarkdownDescription: "Bound on each HTTP attempt, as a duration (default `60s`). A `Retry-After` longer than this ends the retries.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Retries after a network error, 429 or 5xx, with exponential backoff and jitter that honours `Retry-After` (default 5, 0 disables).",
				Validators:          []validator.Int64{validators.NamedInt64(int64validator.Between(0, 20))},
			},
			"expiry_warning": schema.StringAttribute{
				Optional:   true,
				CustomType: timetypes.GoDurationType{},
				MarkdownDescription: "How long before a connector's credential expires the plan starts to warn, as a duration (default `720h`, 30 days; " +
					"`0s` warns only once it has expired): `basic.password_expires_at` of `jira_align_connector`, or its `oauth1.access_token_expires_at`. " +
					"Env: `JIRA_EXPIRY_WARNING`.",
			},
		},
	}
}

// clients is the provider data every resource receives.
type clients struct {
	http     *httpx.Client
	align    *alignapi.Client
	alignErr string
	jira     *jiraapi.Client
	jiraErr  string
	jiraURL  string
	jiraUser jiraapi.BasicAuth
	// secrets are the configured credentials, in every operation's secret set (logContext).
	secrets []string
	// now is the clock used for expiry decisions (tests may replace it).
	now func() time.Time
	// expiryWarning is how long before a credential expires the plan warns (expiry_warning).
	expiryWarning time.Duration
	// signingKeys are the private keys tokens were obtained with in this run.
	signingKeys *keyring
	// version is the provider's version, a field of every log line.
	version string
}

// needAlign returns the Align client or a diagnostic naming the attribute and its env var.
func (c *clients) needAlign(diags *diag.Diagnostics) *alignapi.Client {
	if c.align == nil {
		diags.AddError("Jira Align is not configured", c.alignErr)
	}
	return c.align
}

// needJira returns the Jira client or a diagnostic naming the attribute and its env var.
func (c *clients) needJira(diags *diag.Diagnostics) *jiraapi.Client {
	if c.jira == nil {
		diags.AddError("Jira is not configured", c.jiraErr)
	}
	return c.jira
}

// jiraAdmin returns the provider's Jira credentials or a diagnostic naming what is missing.
func (c *clients) jiraAdmin(diags *diag.Diagnostics, purpose string) (jiraapi.BasicAuth, bool) {
	if c.jiraUser.Username == "" || c.jiraUser.Password == "" {
		diags.AddError("Jira credentials are not configured",
			fmt.Sprintf("%s needs the provider's jira_username and jira_password (or the environment variables %s and %s).",
				purpose, EnvJiraUsername, EnvJiraPassword))
		return jiraapi.BasicAuth{}, false
	}
	return c.jiraUser, true
}

func (p *jiraProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	ctx = tflog.SetField(ctx, "provider_version", p.version)
	tflog.Info(ctx, "configuring the jira provider", map[string]any{"terraform_version": req.TerraformVersion})
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.requireKnown(&resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	hc, err := httpx.New(cfg.httpSettings(p.version, req.TerraformVersion))
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ca_cert_pem"), "Invalid ca_cert_pem", err.Error())
		return
	}
	c := &clients{http: hc, now: p.now, expiryWarning: DefaultExpiryWarning, signingKeys: &keyring{}, version: p.version}
	c.configureExpiryWarning(cfg, &resp.Diagnostics)
	alignToken := c.configureAlign(cfg, &resp.Diagnostics)
	c.configureJira(cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	c.secrets = []string{alignToken, c.jiraUser.Password}
	resp.DataSourceData = c
	resp.ResourceData = c
	resp.ListResourceData = c
}

// requireKnown refuses settings whose values are known only after apply (from resources not
// yet created): they cannot configure a client.
func (cfg providerModel) requireKnown(diags *diag.Diagnostics) {
	for name, v := range map[string]types.String{
		"align_url": cfg.AlignURL, "align_api_token": cfg.AlignAPIToken, "jira_url": cfg.JiraURL,
		"jira_username": cfg.JiraUsername, "jira_password": cfg.JiraPassword, "ca_cert_pem": cfg.CACertPEM,
		"request_timeout": cfg.RequestTimeout.StringValue, "expiry_warning": cfg.ExpiryWarning.StringValue,
	} {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown provider setting",
				fmt.Sprintf("%s depends on a value known only after apply; the provider needs it at plan time. Set it from a variable or an existing resource.", name))
		}
	}
}

// httpSettings are the HTTP client's settings. Every request names this build and the CLI that
// runs it (Terraform or OpenTofu, which reports its own version here). The schema validated
// request_timeout and max_retries.
func (cfg providerModel) httpSettings(version, cliVersion string) httpx.Settings {
	settings := httpx.Settings{MaxRetries: -1, CACertPEM: cfg.CACertPEM.ValueString(), UserAgent: httpx.UserAgent(version, cliVersion)}
	if d, ok := customtypes.DurationOf(cfg.RequestTimeout); ok {
		settings.RequestTimeout = d
	}
	if !cfg.MaxRetries.IsNull() && !cfg.MaxRetries.IsUnknown() {
		settings.MaxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	return settings
}

// configureExpiryWarning sets how long before a credential expires the plan warns, from
// expiry_warning or its environment variable (checked here: the variable bypasses the schema).
func (c *clients) configureExpiryWarning(cfg providerModel, diags *diag.Diagnostics) {
	s := valueOrEnv(cfg.ExpiryWarning.StringValue, EnvExpiryWarning)
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root("expiry_warning"), "Invalid expiry_warning",
			fmt.Sprintf("expiry_warning (or %s) is %q, not a duration: use a number with a unit, such as \"720h\" (30 days)", EnvExpiryWarning, s))
	case d < 0:
		diags.AddAttributeError(path.Root("expiry_warning"), "Invalid expiry_warning",
			fmt.Sprintf("expiry_warning (or %s) is %q: use 0s (warn only once a credential has expired) or a positive duration such as \"720h\"", EnvExpiryWarning, s))
	}
	c.expiryWarning = d
}

// configureAlign makes the Jira Align client, or records why the resources that need it cannot
// run (alignErr); it returns the API token, a secret of every operation.
func (c *clients) configureAlign(cfg providerModel, diags *diag.Diagnostics) string {
	alignURL := valueOrEnv(cfg.AlignURL, EnvAlignURL)
	alignToken := valueOrEnv(cfg.AlignAPIToken, EnvAlignAPIToken)
	urlErr := validators.CheckURL(alignURL)
	switch {
	case alignURL == "":
		c.alignErr = fmt.Sprintf("Set align_url in the provider block or the environment variable %s to your Jira Align base URL.", EnvAlignURL)
	case urlErr != nil:
		diags.AddAttributeError(path.Root("align_url"), "Invalid align_url", fmt.Sprintf("align_url (or %s): %v", EnvAlignURL, urlErr))
	case alignToken == "":
		c.alignErr = fmt.Sprintf("Set align_api_token in the provider block or the environment variable %s to a Jira Align API token with admin rights on connectors.", EnvAlignAPIToken)
	default:
		ac, err := alignapi.New(alignURL, alignToken, c.http)
		if err != nil {
			diags.AddAttributeError(path.Root("align_url"), "Invalid align_url", err.Error())
		}
		c.align = ac
	}
	return alignToken
}

// configureJira makes the Jira client and its administrator's credentials, or records why the
// resources that need them cannot run (jiraErr).
func (c *clients) configureJira(cfg providerModel, diags *diag.Diagnostics) {
	jiraURL := valueOrEnv(cfg.JiraURL, EnvJiraURL)
	urlErr := validators.CheckURL(jiraURL)
	switch {
	case jiraURL == "":
		c.jiraErr = fmt.Sprintf("Set jira_url in the provider block or the environment variable %s to your Jira base URL (or jira_url on the resource).", EnvJiraURL)
	case urlErr != nil:
		diags.AddAttributeError(path.Root("jira_url"), "Invalid jira_url", fmt.Sprintf("jira_url (or %s): %v", EnvJiraURL, urlErr))
	default:
		jc, err := jiraapi.New(jiraURL, c.http)
		if err != nil {
			diags.AddAttributeError(path.Root("jira_url"), "Invalid jira_url", err.Error())
		}
		c.jira, c.jiraURL = jc, strings.TrimRight(jiraURL, "/")
	}
	c.jiraUser = jiraapi.BasicAuth{
		Username: valueOrEnv(cfg.JiraUsername, EnvJiraUsername),
		Password: valueOrEnv(cfg.JiraPassword, EnvJiraPassword),
	}
	if c.jiraUser.Password != "" && c.jiraUser.Username == "" {
		diags.AddAttributeError(path.Root("jira_username"), "Missing jira_username",
			fmt.Sprintf("jira_password is set but jira_username is not: set jira_username or %s.", EnvJiraUsername))
	}
}

func valueOrEnv(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" {
		return v.ValueString()
	}
	return os.Getenv(env)
}

func (p *jiraProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewConnectorResource,
		NewKeyPairResource,
		NewApplicationLinkResource,
		NewAccessTokenResource,
	}
}

// ListResources are the list resources of `terraform query` (Terraform 1.14+).
func (p *jiraProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewConnectorListResource,
		NewApplicationLinkListResource,
	}
}

func (p *jiraProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewConnectorDataSource,
	}
}

// providerClients extracts the provider data in a resource's or data source's Configure.
func providerClients(data any, diags *diag.Diagnostics) *clients {
	if data == nil {
		return nil // the provider is not configured yet (validation or early plan)
	}
	c, ok := data.(*clients)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *clients, got %T; please report this bug", data))
		return nil
	}
	return c
}

// logContext returns ctx carrying the operation's secret set (the configured credentials and the
// given extra values, masked in every log line and removed from the clients' error text) and the
// provider's version as a field of every log line.
func (c *clients) logContext(ctx context.Context, extra ...string) context.Context {
	ctx = tflog.SetField(ctx, "provider_version", c.version)
	return redact.NewContext(ctx, redact.New(c.secrets...).With(extra...))
}
