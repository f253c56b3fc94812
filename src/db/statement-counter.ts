import { AbstractLogger, LogLevel, LogMessage, QueryRunner } from 'typeorm';


export interface StatementStats {
  statements: number;
}

/**
 * TypeORM calls its logger for every statement a query runner sends, so counting here
 * sees ORM and hand-written SQL alike. Counts go to the request's own runner only.
 */
export class StatementCountingLogger extends AbstractLogger {
  constructor(private readonly onQueryError: (message: string) => void = () => undefined) {
    super('all');
  }

  override logQuery(_query: string, _parameters?: unknown, queryRunner?: QueryRunner): void {
    const stats = queryRunner?.data?.stats as StatementStats | undefined;
    if (stats) stats.statements += 1;
  }

  override logQueryError(error: string | Error): void {
    // Only the SQLSTATE-bearing message is kept: parameters may hold health data.
    this.onQueryError(typeof error === 'string' ? error : error.message);
  }

  protected writeLog(_level: LogLevel, _message: LogMessage | string | number | (LogMessage | string | number)[]): void {
    /* statement text and parameters are never logged */
  }
}
