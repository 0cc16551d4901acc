/* HTTP endpoints of issue 25 (governance): a model's quality gate (read by anyone, set by ADMIN, audited). */
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


/** Thin resource: a model's quality gate (read by anyone, set by ADMIN, audited). */
@Path("/api/models/{modelId}/gate")
@SecurityRequirement(name = "bearer")
public class GateResource {

    @Inject
    Caller caller;

    @Inject
    GovernanceService governance;

    @GET
    @Allow
    public GovernanceDtos.GateView gate(@PathParam("modelId") String modelId) {
        return governance.gate(Check.id(modelId, "modelId"));
    }

    @PUT
    @Allow(Role.ADMIN)
    public GovernanceDtos.GateView setGate(@PathParam("modelId") String modelId, GovernanceDtos.GateRequest req) {
        return governance.setGate(Check.id(modelId, "modelId"), req, caller.principal());
    }
}
