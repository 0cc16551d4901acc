/*
 * Issue 25: bad ids and parameters in console URLs give a readable page, not raw JSON. The registry
 * turns every framework refusal (no such path, an id that is not a number, a query parameter of the
 * wrong type) into application/problem+json, which is right for /api and wrong in a browser: this
 * response filter renders those problems on console paths as the console's error page with the
 * same status (404 or 400) and the console's security headers.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.session.SecurityHeaders;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import java.util.ArrayList;
import java.util.List;

/** Rewrites 4xx problem JSON answered on console paths into the console's HTML error page. */
public class ConsoleProblemPages {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Console console;

    @Inject
    ConsoleSessions sessions;

    /** Whether a path belongs to the console (everything but the API, Quarkus endpoints and the OpenAPI document). */
    static boolean consolePath(String path) {
        return !(path.startsWith("/api/") || path.equals("/api") || path.startsWith("/q/") || path.equals("/q")
                || path.startsWith("/openapi") || path.startsWith("/metrics"));
    }

    @ServerResponseFilter
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        int status = response.getStatus();
        MediaType type = response.getMediaType();
        String path = request.getUriInfo().getRequestUri().getRawPath();
        if (status < 400 || status >= 500 || type == null || !"problem+json".equals(type.getSubtype())
                || !consolePath(path) || request.getHeaderString("HX-Request") != null) {
            return;
        }
        JsonNode problem = response.getEntity() == null ? JSON.createObjectNode() : JSON.valueToTree(response.getEntity());
        String title = status == 404 ? "Page not found" : status == 400 ? "Bad address" : problem.path("title").asText("HTTP " + status);
        String detail = status == 404
                ? "There is no console page at " + path + ". Ids in console addresses are whole numbers of existing "
                + "models, versions, batches and nodes; follow the links from the models list."
                : "The address " + path + " has a parameter the console cannot use: " + problem.path("detail").asText("");
        List<String> fields = new ArrayList<>();
        problem.path("fields").forEach(f -> fields.add(f.path("field").asText() + ": " + f.path("message").asText()));
        Cookie c = request.getCookies().get(ConsoleSessions.COOKIE);
        ConsoleSession s = c == null ? null : sessions.find(c.getValue()).orElse(null);
        String html = Templates.error(console.page(s, title, ""), status, title, detail, problem.path("type").asText(null),
                fields, null).render();
        response.setEntity(html, null, MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"));
        var h = response.getHeaders();
        h.putSingle("Content-Security-Policy", SecurityHeaders.CSP);
        h.putSingle("X-Frame-Options", "DENY");
        h.putSingle("X-Content-Type-Options", "nosniff");
        h.putSingle("Referrer-Policy", "same-origin");
        h.putSingle("Cache-Control", "no-store");
    }
}
