/*
 * HTTP API of the serving node: thin JAX-RS methods over ServingApi, DTO records in and out
 * (Quarkus rest-json quickstart shape). Documented in docs/API.md "Serving node API".
 */
package dev.hookline.serving.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code /v1/completions}, {@code /v1/explain}, {@code /v1/version}. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ServingResource {
    @Inject
    ServingRuntime runtime;

    /** Greedy completions of a prompt or prompts with the loaded version; the answer names the version. */
    @POST
    @Path("/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    public ApiDtos.CompletionResponse completions(ApiDtos.CompletionRequest req) {
        return runtime.api().complete(req);
    }

    /** Per hooked layer and token: m, z-score, alpha, swapped; and the edited facts whose subject is in the prompt. */
    @POST
    @Path("/explain")
    @Consumes(MediaType.APPLICATION_JSON)
    public ApiDtos.ExplainResponse explain(ApiDtos.ExplainRequest req) {
        return runtime.api().explain(req);
    }

    /** Model, version id and number, digest, loaded at, and the node's status. */
    @GET
    @Path("/version")
    public ApiDtos.VersionResponse version() {
        return runtime.api().version();
    }
}
