package dev.hookline.registry.batch;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;

/** Edit batches. */
@Path("/api/batches")
@SecurityRequirement(name = "bearer")
public class BatchResource {

    @Inject
    BatchService batches;

    @Inject
    Caller caller;

    @POST
    @Allow(Role.SUBMITTER)
    public Response submit(BatchDtos.SubmitBatchRequest req) {
        return Response.status(201).entity(batches.submit(req, caller.principal())).build();
    }

    @GET
    @Allow
    public List<BatchDtos.BatchView> list(@QueryParam("modelId") String modelId, @QueryParam("status") String status,
                                          @QueryParam("limit") @DefaultValue("100") String limit) {
        Long model = modelId == null ? null : Check.id(modelId, "modelId");
        BatchStatus st = null;
        if (status != null) {
            try {
                st = BatchStatus.valueOf(status);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("status must be one of " + List.of(BatchStatus.values()), "status");
            }
        }
        int max = (int) Math.min(Check.id(limit, "limit"), 1000);
        return batches.list(model, st, max);
    }

    @GET
    @Path("/{id}")
    @Allow
    public BatchDtos.BatchView get(@PathParam("id") String id) {
        return batches.get(Check.id(id, "id"));
    }

    @POST
    @Path("/{id}/queue")
    @Allow({Role.SUBMITTER, Role.ADMIN})
    public BatchDtos.BatchView queue(@PathParam("id") String id) {
        return batches.queue(Check.id(id, "id"), caller);
    }

    @POST
    @Path("/{id}/cancel")
    @Allow({Role.SUBMITTER, Role.ADMIN})
    public BatchDtos.BatchView cancel(@PathParam("id") String id, BatchDtos.CancelRequest req) {
        return batches.cancel(Check.id(id, "id"), req, caller);
    }
}
