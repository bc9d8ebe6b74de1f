import { ApiProperty } from '@nestjs/swagger';

/** `POST /dev/tokens` answer (docs/api.md §2.10). */
export class DevTokenDto {
  @ApiProperty({ description: 'HS256 JWT signed with AUTH_JWT_SECRET: claims sub, iat, exp, and scope "admin" when asked' })
  token!: string;

  @ApiProperty({ example: 'demo' })
  sub!: string;

  @ApiProperty()
  admin!: boolean;

  @ApiProperty({ format: 'date-time', description: 'the exp claim' })
  expiresAt!: string;
}
