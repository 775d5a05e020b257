/** Defaults the command tree shows in its help, kept apart from the commands so that building the tree loads none of them. */

/** DEFAULT_CONFIG is where `mflux daemon` looks without --config. */
export const DEFAULT_CONFIG = 'config/mflux.yaml';
