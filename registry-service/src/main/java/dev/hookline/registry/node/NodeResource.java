package dev.hookline.registry.node;

import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.channel.ChannelResource;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;

/** Serving nodes. */
@Path("/api/nodes")
@SecurityRequirement(name = "bearer")
public class NodeResource {

    @Inject
    NodeService nodes;

    @Inject
    Caller caller;

    @POST
    @Allow(Role.SERVING)
    public NodeDtos.NodeView register(NodeDtos.RegisterRequest req) {
        return nodes.register(req, caller.principal());
    }

    @POST
    @Path("/{id}/heartbeat")
    @Allow(Role.SERVING)
    public NodeDtos.NodeView heartbeat(@PathParam("id") String id, NodeDtos.HeartbeatRequest req) {
        return nodes.heartbeat(Check.id(id, "id"), req, caller.principal());
    }

    /** Which nodes run what now. */
    @GET
    @Allow
    public List<NodeDtos.NodeView> list(@QueryParam("modelId") String modelId) {
        return nodes.list(modelId == null ? null : Check.id(modelId, "modelId"));
    }

    @GET
    @Path("/{id}/history")
    @Allow
    public NodeDtos.History history(@PathParam("id") String id, @QueryParam("limit") @DefaultValue("100") String limit) {
        return nodes.history(Check.id(id, "id"), (int) Math.min(Check.id(limit, "limit"), 1000));
    }

    /** What node N was serving at time T. */
    @GET
    @Path("/{id}/at")
    @Allow
    public NodeDtos.PointInTime at(@PathParam("id") String id, @QueryParam("time") String time) {
        return nodes.at(Check.id(id, "id"), ChannelResource.instant(time));
    }
}
