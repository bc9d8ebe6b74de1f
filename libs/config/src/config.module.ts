import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, configFromEnv } from './app-config';

/**
 * One config system: the environment is validated once per process (configFromEnv, which the apps' main
 * files call before loading any module, so that a bad value stops the boot with a message naming it);
 * everything injects the typed APP_CONFIG.
 */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: configFromEnv }],
  exports: [APP_CONFIG],
})
export class AppConfigModule {}
