import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response shapes for the OpenAPI document (inputs reuse the validating DTOs in @app/feeds). */
export class ActivityDto {
  @ApiProperty({ example: '01JD3Q5V7X9ZB2C4D6E8F0G1H2' }) id!: string;
  @ApiProperty() actor!: string;
  @ApiProperty() type!: string;
  @ApiProperty() object!: string;
  @ApiPropertyOptional() target?: string;
  @ApiProperty({ format: 'date-time' }) published!: string;
  @ApiPropertyOptional({ type: [String] }) to?: string[];
  @ApiPropertyOptional() foreignId?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) extra?: Record<string, unknown>;
}

export class ActivityPageDto {
  @ApiProperty({ type: [ActivityDto] }) items!: ActivityDto[];
  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' }) next!: string | null;
}

export class GroupDto {
  @ApiProperty() id!: string;
  @ApiProperty() type!: string;
  @ApiProperty() object!: string;
  @ApiProperty({ type: [String], description: 'up to 10 most recent distinct actors' }) actors!: string[];
  @ApiProperty() actorCount!: number;
  @ApiProperty() activityCount!: number;
  @ApiProperty({ type: ActivityDto }) latest!: ActivityDto;
  @ApiProperty({ format: 'date-time' }) updated!: string;
  @ApiProperty() seen!: boolean;
  @ApiProperty() read!: boolean;
}

export class NotificationPageDto {
  @ApiProperty({ type: [GroupDto] }) items!: GroupDto[];
  @ApiProperty({ type: String, nullable: true }) next!: string | null;
  @ApiProperty() unseen!: number;
  @ApiProperty() unread!: number;
}

export class GraphEntryDto {
  @ApiProperty() userId!: string;
  @ApiProperty({ format: 'date-time' }) since!: string;
}

export class GraphPageDto {
  @ApiProperty({ type: [GraphEntryDto] }) items!: GraphEntryDto[];
  @ApiProperty({ type: String, nullable: true }) next!: string | null;
}
