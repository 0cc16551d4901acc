/* HTTP endpoints of issue 25 (governance): a releaser's approval of a version for a channel. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;


/** Thin resource: a releaser's approval of a version for a channel. */
@Path("/api/models/{modelId}/channels/{name}/approvals")
@SecurityRequirement(name = "bearer")
public class ApprovalResource {

    @Inject
    Caller caller;

    @Inject
    ReleasePolicyService policies;

    @POST
    @Allow(Role.RELEASER)
    public GovernanceDtos.PolicyView approve(@PathParam("modelId") String modelId, @PathParam("name") String name,
                                             GovernanceDtos.ApprovalRequest req) {
        return policies.approve(Check.id(modelId, "modelId"), name, req, caller.principal());
    }
}
