import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_CONFIG, toAppConfig } from './app-config';
import { validateEnv } from './env.schema';

/** One config system: @nestjs/config validates the environment once; everything injects APP_CONFIG. */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnv, cache: true })],
  providers: [
    {
      provide: APP_CONFIG,
      // ConfigModule has already failed the boot on a bad value; this maps the same validated values.
      useFactory: () => toAppConfig(validateEnv(process.env)),
    },
  ],
  exports: [APP_CONFIG],
})
export class AppConfigModule {}
