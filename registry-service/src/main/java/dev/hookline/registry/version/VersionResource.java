package dev.hookline.registry.version;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;


/** Hook versions: read, review, resolve. */
@Path("/api/versions")
@SecurityRequirement(name = "bearer")
public class VersionResource {

    @Inject
    VersionService versions;

    @Inject
    Caller caller;

    @GET
    @Path("/{id}")
    @Allow
    public VersionDtos.VersionView get(@PathParam("id") String id) {
        return versions.get(Check.id(id, "id"));
    }

    @POST
    @Path("/{id}/validate")
    @Allow(Role.REVIEWER)
    public VersionDtos.VersionView validate(@PathParam("id") String id, VersionDtos.ReviewRequest req) {
        return versions.review(Check.id(id, "id"), true, req, caller.principal());
    }

    @POST
    @Path("/{id}/reject")
    @Allow(Role.REVIEWER)
    public VersionDtos.VersionView reject(@PathParam("id") String id, VersionDtos.ReviewRequest req) {
        return versions.review(Check.id(id, "id"), false, req, caller.principal());
    }

    @GET
    @Path("/{id}/resolve")
    @Allow({Role.SERVING, Role.RELEASER, Role.ADMIN})
    public Response resolve(@PathParam("id") String id, @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return Resolutions.respond(versions.resolve(Check.id(id, "id"), null), ifNoneMatch);
    }
}
