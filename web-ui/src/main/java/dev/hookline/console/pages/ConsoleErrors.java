/*
 * How the console answers failures: the registry API's problem JSON (RFC 9457) becomes a
 * readable page with the API's status; a missing session becomes a redirect to sign-in.
 */
package dev.hookline.console.pages;

import dev.hookline.client.RegistryException;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.session.CsrfRefused;
import dev.hookline.console.session.SignInRequired;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Exception mappers of the console's own exceptions and of the registry client's errors. */
public class ConsoleErrors {

    private static final Logger LOG = Logger.getLogger(ConsoleErrors.class);

    @Inject
    Console console;

    @Inject
    ConsoleSessions sessions;

    @ServerExceptionMapper
    public Response signIn(SignInRequired e, ContainerRequestContext request) {
        String next = e.next();
        if ("GET".equals(request.getMethod()) && request.getHeaderString("HX-Request") == null) {
            // come back to the very page asked for, filters included
            var uri = request.getUriInfo().getRequestUri();
            next = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        }
        return toSignIn(next, request);
    }

    @ServerExceptionMapper
    public Response csrf(CsrfRefused e, ContainerRequestContext request) {
        ConsoleSession s = session(request);
        return page(s, 403, "Refused: form check failed", e.getMessage(), null, List.of(), back(request));
    }

    @ServerExceptionMapper
    public Response registry(RegistryException e, ContainerRequestContext request) {
        ConsoleSession s = session(request);
        if (e.status() == 401) {
            // the token was revoked since sign-in: the session is worthless
            sessions.signOut(s);
            return toSignIn(request.getUriInfo().getRequestUri().getRawPath(), request);
        }
        if (e.status() == 0 || e.status() >= 500) {
            LOG.warnf("registry API call failed: %s", e.getMessage());
        }
        var problem = e.problem();
        String title = problem != null && problem.hasNonNull("title") ? problem.get("title").asText()
                : e.status() == 0 ? "Registry not reachable" : "HTTP " + e.status();
        String detail = e.detail() != null ? e.detail() : e.getMessage();
        List<String> fields = new ArrayList<>();
        if (problem != null) {
            problem.path("fields").forEach(f -> fields.add(f.path("field").asText() + ": " + f.path("message").asText()));
        }
        return page(s, e.status() == 0 ? 502 : e.status(), title, detail, e.problemType(), fields, back(request));
    }

    private Response page(ConsoleSession s, int status, String title, String detail, String type, List<String> fields,
                          String back) {
        String html = Templates.error(console.page(s, title, ""), status, title, detail, type, fields, back).render();
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
    }

    /**
     * The page a failed form came from: the action path without its last segment
     * ({@code /versions/7/validate} -> {@code /versions/7}); null for failed page loads.
     */
    static String back(ContainerRequestContext request) {
        if (!"POST".equals(request.getMethod())) {
            return null;
        }
        return backOf(request.getUriInfo().getRequestUri().getRawPath());
    }

    /** The parent path of a form action, or null at the root. */
    static String backOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? null : Console.localPath(path.substring(0, slash));
    }

    private ConsoleSession session(ContainerRequestContext request) {
        Cookie c = request.getCookies().get(ConsoleSessions.COOKIE);
        return c == null ? null : sessions.find(c.getValue()).orElse(null);
    }

    private static Response toSignIn(String next, ContainerRequestContext request) {
        String target = "/signin?next=" + URLEncoder.encode(Console.localPath(next), StandardCharsets.UTF_8);
        if (request.getHeaderString("HX-Request") != null) {
            // an htmx poll: let the browser navigate instead of swapping a page into a fragment
            return Response.ok().header("HX-Redirect", target).build();
        }
        return Response.seeOther(URI.create(target)).build();
    }
}
