package de.geolead.console;

import java.security.Principal;

/** A role of the console user; Hawtio admits users holding one of {@code hawtio.roles} (admin, viewer). */
public record RolePrincipal(String name) implements Principal {

    @Override
    public String getName() {
        return name;
    }
}
