package dev.hookline.registry.auth;

/** What a bearer token may do. A token can hold several roles. */
public enum Role {
    /** Submits edit batches and may cancel their own. */
    SUBMITTER,
    /** Validates or rejects hook versions (never one computed from their own batch). */
    REVIEWER,
    /** Moves channels and rolls them back. */
    RELEASER,
    /** Editor worker: leases jobs, uploads blobs, completes or fails jobs. */
    WORKER,
    /** Serving node: resolves channels/versions, registers and reports what it runs. */
    SERVING,
    /** Creates tokens, registers base models, may do anything a role above may do except review. */
    ADMIN
}
