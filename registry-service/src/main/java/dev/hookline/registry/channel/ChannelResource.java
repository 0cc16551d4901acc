package dev.hookline.registry.channel;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.version.Resolutions;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/** Channels of a model. */
@Path("/api/models/{modelId}/channels")
@SecurityRequirement(name = "bearer")
public class ChannelResource {

    @Inject
    ChannelService channels;

    @Inject
    Caller caller;

    @GET
    @Allow
    public List<ChannelDtos.ChannelView> list(@PathParam("modelId") String modelId) {
        return channels.list(Check.id(modelId, "modelId"));
    }

    @GET
    @Path("/{name}")
    @Allow
    public ChannelDtos.ChannelView get(@PathParam("modelId") String modelId, @PathParam("name") String name) {
        return channels.get(Check.id(modelId, "modelId"), name);
    }

    @PUT
    @Path("/{name}")
    @Allow(Role.RELEASER)
    public ChannelDtos.ChannelView move(@PathParam("modelId") String modelId, @PathParam("name") String name,
                                        ChannelDtos.MoveRequest req) {
        return channels.move(Check.id(modelId, "modelId"), name, req, caller.principal());
    }

    @POST
    @Path("/{name}/rollback")
    @Allow(Role.RELEASER)
    public ChannelDtos.ChannelView rollback(@PathParam("modelId") String modelId, @PathParam("name") String name,
                                            ChannelDtos.RollbackRequest req) {
        return channels.rollback(Check.id(modelId, "modelId"), name, req, caller.principal());
    }

    /** The channel's version with presigned URLs; ETag + If-None-Match give 304 while unchanged. */
    @GET
    @Path("/{name}/resolve")
    @Allow({Role.SERVING, Role.RELEASER, Role.ADMIN})
    public Response resolve(@PathParam("modelId") String modelId, @PathParam("name") String name,
                            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return Resolutions.respond(channels.resolve(Check.id(modelId, "modelId"), name), ifNoneMatch);
    }

    /** What the channel served at time {@code at} (ISO-8601 instant). */
    @GET
    @Path("/{name}/at")
    @Allow
    public ChannelDtos.PointInTime at(@PathParam("modelId") String modelId, @PathParam("name") String name,
                                      @QueryParam("time") String time) {
        return channels.at(Check.id(modelId, "modelId"), name, instant(time));
    }

    /** Parses an ISO-8601 instant query parameter (400 otherwise). */
    public static Instant instant(String time) {
        if (time == null) {
            throw ApiProblem.badRequest("time is required (ISO-8601 instant, e.g. 2026-11-28T05:00:00Z)", "time");
        }
        try {
            return Instant.parse(time);
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest("time must be an ISO-8601 instant, got '" + time + "'", "time");
        }
    }
}
