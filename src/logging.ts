// Logs are JSON lines (pino). Keys that may hold secrets are redacted wherever they appear, so a
// careless log call cannot leak a token or a connection string.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keel' },
      redact: {
        paths: ['*.secret', '*.secrets', '*.password', '*.token', '*.authorization', '*.headers.authorization', 'config.database.url', '*.url_with_credentials', '*.clientSecret', '*.deliverySecrets', '*.secretKey', '*.connectorSecrets'],
        censor: '[redacted]',
      },
      serializers: { error: pino.stdSerializers.err },
    },
    destination,
  );
}
