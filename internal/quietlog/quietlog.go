// Package quietlog switches a provider's SDK and provider loggers off when nobody can read them.
//
// terraform-plugin-go and the framework log every RPC, every attribute validator and every plan
// modifier at TRACE level, as JSON lines on the plugin's stderr. Terraform and OpenTofu read and
// parse each line, then drop it unless TF_LOG or TF_LOG_PROVIDER is set (their provider logger
// is "off" otherwise). For a plan over hundreds of resources that unobserved logging was the
// largest single cost of a refresh, in the provider and in the CLI (see BENCHMARKS.md).
package quietlog

import (
	"os"
	"strings"
)

// Variables read by terraform-plugin-go, terraform-plugin-framework and terraform-plugin-log in
// the provider process. Each is set to "off" only when it is not set already.
var levelVars = []string{
	"TF_LOG_SDK",           // SDK root logger (terraform-plugin-go)
	"TF_LOG_SDK_PROTO",     // protocol subsystem (terraform-plugin-go)
	"TF_LOG_SDK_FRAMEWORK", // framework subsystem (terraform-plugin-framework)
}

// WhenUnobserved turns the SDK loggers and the provider logger (TF_LOG_PROVIDER_<NAME>, name as
// in the provider address, e.g. "jira") off when the launching CLI discards provider logs: neither
// TF_LOG nor TF_LOG_PROVIDER is set. It does nothing in debug mode (the logs then go to the
// developer's terminal) or when the CLI would show provider logs. It only changes this process's
// environment, before the provider server starts; it returns whether it did.
func WhenUnobserved(debug bool, providerName string) bool {
	if debug || os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return false
	}
	vars := append([]string(nil), levelVars...)
	if providerName != "" {
		vars = append(vars, strings.ToUpper("TF_LOG_PROVIDER_"+providerName))
	}
	for _, k := range vars {
		if _, set := os.LookupEnv(k); !set {
			_ = os.Setenv(k, "off")
		}
	}
	return true
}
