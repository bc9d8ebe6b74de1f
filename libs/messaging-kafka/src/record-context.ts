import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { RecordMeta } from './records';

/**
 * What an `@EventPattern` handler of ReliableKafkaServer gets besides the parsed payload (`@Ctx()`): where the
 * record came from, and the heartbeat that keeps the partition during long work (a heartbeat that fails
 * because the group is rebalancing throws, and that error must leave the handler).
 */
export class RecordContext extends BaseRpcContext<[RecordMeta, () => Promise<void>]> {
  getMeta(): RecordMeta {
    return this.args[0];
  }

  getHeartbeat(): () => Promise<void> {
    return this.args[1];
  }
}

/**
 * Hands a handler's error to ReliableKafkaServer as it was thrown. Nest's default RPC exception filter would
 * replace it with `{ status: 'error', message: 'Internal server error' }` (and log it), and the transport
 * could no longer tell poison (dead-letter), transient (retry in place) and a rebalance (leave the batch)
 * apart. Every controller of the transport's patterns needs it: `@UseFilters(RecordErrorsPassthrough)`.
 */
@Catch()
export class RecordErrorsPassthrough implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
