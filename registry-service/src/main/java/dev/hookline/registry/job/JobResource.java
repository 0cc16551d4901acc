package dev.hookline.registry.job;

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

/** Worker job API: lease, heartbeat, complete, fail, release. */
@Path("/api/jobs")
@SecurityRequirement(name = "bearer")
public class JobResource {

    @Inject
    JobService jobs;

    @Inject
    Caller caller;

    /** 200 with a lease, or 204 when no job is leasable now. */
    @POST
    @Path("/lease")
    @Allow(Role.WORKER)
    public Response lease(JobDtos.LeaseRequest req) {
        return jobs.lease(req, caller.principal()).map(l -> Response.ok(l).build())
                .orElseGet(() -> Response.noContent().build());
    }

    @POST
    @Path("/{id}/heartbeat")
    @Allow(Role.WORKER)
    public JobDtos.HeartbeatAck heartbeat(@PathParam("id") String id, JobDtos.HeartbeatRequest req) {
        return jobs.heartbeat(Check.id(id, "id"), req, caller.principal());
    }

    /** 201 with the new version; 200 with the same version when the completion is retried. */
    @POST
    @Path("/{id}/complete")
    @Allow(Role.WORKER)
    public Response complete(@PathParam("id") String id, JobDtos.CompleteRequest req) {
        JobService.Completion c = jobs.complete(Check.id(id, "id"), req, caller.principal());
        return Response.status(c.created() ? 201 : 200).entity(c.version()).build();
    }

    @POST
    @Path("/{id}/fail")
    @Allow(Role.WORKER)
    public JobDtos.JobView fail(@PathParam("id") String id, JobDtos.FailRequest req) {
        return jobs.fail(Check.id(id, "id"), req, caller.principal());
    }

    /** Gives a live lease back (graceful worker shutdown); the job is leasable again at once. */
    @POST
    @Path("/{id}/release")
    @Allow(Role.WORKER)
    public JobDtos.JobView release(@PathParam("id") String id, JobDtos.ReleaseRequest req) {
        return jobs.release(Check.id(id, "id"), req, caller.principal());
    }

    @GET
    @Allow({Role.WORKER, Role.ADMIN})
    public List<JobDtos.JobView> list(@QueryParam("status") String status,
                                      @QueryParam("limit") @DefaultValue("100") String limit) {
        EditJob.Status st = null;
        if (status != null) {
            try {
                st = EditJob.Status.valueOf(status);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("status must be one of " + List.of(EditJob.Status.values()), "status");
            }
        }
        return jobs.list(st, (int) Math.min(Check.id(limit, "limit"), 1000));
    }

    @GET
    @Path("/{id}")
    @Allow({Role.WORKER, Role.ADMIN})
    public JobDtos.JobView get(@PathParam("id") String id) {
        return jobs.get(Check.id(id, "id"));
    }
}
