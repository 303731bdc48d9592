package de.geolead.console;

import java.security.Principal;

/** The console user a {@link PropertiesLoginModule} login established. */
public record UserPrincipal(String name) implements Principal {

    @Override
    public String getName() {
        return name;
    }
}
