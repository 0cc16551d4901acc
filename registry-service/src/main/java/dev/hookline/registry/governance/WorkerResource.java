/* HTTP endpoints of issue 25 (governance): editor workers advertise their methods and hyperparameter schema. */
package dev.hookline.registry.governance;

import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.List;

/** Thin resource: editor workers advertise their methods and hyperparameter schema. */
@Path("/api/workers")
@SecurityRequirement(name = "bearer")
public class WorkerResource {

    @Inject
    Caller caller;

    @Inject
    WorkerRegistry workers;

    @POST
    @Allow(Role.WORKER)
    public GovernanceDtos.WorkerView register(GovernanceDtos.WorkerRegistrationRequest req) {
        return workers.register(req, caller.principal());
    }

    @GET
    @Allow
    public List<GovernanceDtos.WorkerView> workers() {
        return workers.list();
    }
}
