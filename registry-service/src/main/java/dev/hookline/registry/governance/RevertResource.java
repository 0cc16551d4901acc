/* HTTP endpoint of issue 25: revert the batch that produced a version, keeping the later batches. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.batch.BatchDtos;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** Thin resource over {@link RevertService}: 201 with the queued revert batch. */
@Path("/api/versions/{id}/revert")
@SecurityRequirement(name = "bearer")
public class RevertResource {

    @Inject
    RevertService reverts;

    @Inject
    Caller caller;

    @POST
    @Allow(Role.SUBMITTER)
    public Response revert(@PathParam("id") String id, RevertService.RevertRequest req) {
        BatchDtos.BatchView b = reverts.revert(Check.id(id, "id"), req, caller.principal());
        return Response.status(201).entity(b).build();
    }
}
