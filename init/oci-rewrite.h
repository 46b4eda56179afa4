/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where the init and the daemon's init socket appear inside a container. */
#define OCI_INIT_DEST "/.seccomp-redirect-init"
#define OCI_SOCKET_DEST "/.seccomp-redirect.sock"
#define OCI_TOKEN_ENV "SECCOMP_REDIRECT_TOKEN"
/* The annotation by which whoever creates a container may ask for a policy. */
#define OCI_ANNOTATION_POLICY "seccomp-redirect.policy"
/* Set by the wrapper at create: the policy the container got, and its source, for exec. */
#define OCI_ANNOTATION_BOUND "seccomp-redirect.init.policy"
#define OCI_ANNOTATION_BOUND_SOURCE "seccomp-redirect.init.source"

typedef struct OciRewrite {
        const char *init_path; /* on the host */
        const char *socket_path; /* on the host: INIT_DIR/init.sock */
        const char *token;
        const char *policy;
        const char *source; /* "operator" or "annotation" */
} OciRewrite;

/* config.json of a bundle: init mount, socket mount, args prefix, token, annotations. */
int oci_rewrite_config(const char *path, const OciRewrite *w);
/* An exec's --process file: args prefix and token. */
int oci_rewrite_process_file(const char *path, const OciRewrite *w);
/* *ret = annotations[key] of a JSON file, NULL when absent. */
int oci_annotation_from_file(const char *path, const char *key, char **ret);
/* From `RUNTIME state ID` output: annotations[key] and the bundle path (either may be NULL). */
int oci_state_lookup(const char *json, const char *key, char **ret_value, char **ret_bundle);
