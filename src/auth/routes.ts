import type { ApiApp } from '../contract/index.js';
import type { AuthDeps } from './deps.js';
import { registerOidcRoutes } from './oidc-routes.js';
import { registerPeopleRoutes } from './routes-people.js';
import { registerSessionRoutes } from './routes-session.js';
import { registerTokenRoutes } from './routes-tokens.js';

export function registerAuthRoutes(app: ApiApp, deps: AuthDeps): void {
  registerSessionRoutes(app, deps);
  registerOidcRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerPeopleRoutes(app, deps);
}
