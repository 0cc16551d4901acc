/* HTTP endpoints of issue 25 (governance): a channel's release policy (required approvals) with its approvals. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;


/** Thin resource: a channel's release policy (required approvals) with its approvals. */
@Path("/api/models/{modelId}/channels/{name}/policy")
@SecurityRequirement(name = "bearer")
public class ChannelPolicyResource {

    @Inject
    Caller caller;

    @Inject
    ReleasePolicyService policies;

    @GET
    @Allow
    public GovernanceDtos.PolicyView policy(@PathParam("modelId") String modelId, @PathParam("name") String name) {
        return policies.policy(Check.id(modelId, "modelId"), name);
    }

    @PUT
    @Allow(Role.ADMIN)
    public GovernanceDtos.PolicyView setPolicy(@PathParam("modelId") String modelId, @PathParam("name") String name,
                                               GovernanceDtos.PolicyRequest req) {
        return policies.setPolicy(Check.id(modelId, "modelId"), name, req, caller.principal());
    }
}
