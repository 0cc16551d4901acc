/*
 * Security headers of console pages (OWASP secure headers project): a strict CSP (scripts,
 * styles and images from this origin only, no inline script), no framing, no sniffing, no
 * caching of pages that show governance data, no referrer leaking ids.
 */
package dev.hookline.console.session;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/** Adds the console's security headers to every {@link ConsolePage} response. */
@Provider
@ConsolePage
public class SecurityHeaders implements ContainerResponseFilter {

    /** The Content-Security-Policy of console pages. */
    public static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        var h = response.getHeaders();
        h.putSingle("Content-Security-Policy", CSP);
        h.putSingle("X-Frame-Options", "DENY");
        h.putSingle("X-Content-Type-Options", "nosniff");
        h.putSingle("Referrer-Policy", "same-origin");
        h.putSingle("Cache-Control", "no-store");
    }
}
