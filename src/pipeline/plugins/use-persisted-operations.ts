import { GraphQLError, getOperationAST, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../lib/logger';

/** A persisted operation as the server prepared it at start: parsed, validated (hardening included) and compiled. */
export interface PreparedOperation {
  hash: string;
  /** The manifest text. */
  source: string;
  document: DocumentNode;
  operationName: string | null;
  /** graphql-jit's compiled form; null when graphql-jit declined it (plain execute then). */
  compiled: CompiledQuery | null;
}

/** What preparing runs each document through: the server's own parse and validate (its hardening plugins included). */
export interface PreparingPipeline {
  parse(source: string): DocumentNode;
  validate(document: DocumentNode): readonly GraphQLError[];
  schema: ExecutionArgs['schema'];
}

/** The persisted operations a server prepared, and the envelop plugin that runs them prepared. */
export interface PersistedOperations {
  /** Prepares every manifest operation once; an operation the pipeline refuses stays unprepared (and is refused per call, as before). */
  prepare(pipeline: PreparingPipeline): void;
  /**
   * The same, a few operations per turn of the event loop, so a server answers meanwhile (an
   * operation not prepared yet is parsed and validated per call, as any document).
   */
  prepareSoon(pipeline: PreparingPipeline): Promise<void>;
  /** The prepared operation of a document: the prepared node itself, or one parsed from a manifest text. */
  of(document: DocumentNode): PreparedOperation | undefined;
  /**
   * Runs a request whose text is a manifest document without parsing or validating it again
   * (the armor rules included: they ran at start) and executes the compiled form. Place it before
   * the hardening plugins and before any plugin that wraps execution.
   */
  plugin: Plugin;
}

/** Prepares `manifest` (hash → document); `compile: false` keeps graphql-js's execute for the prepared documents. */
export function createPersistedOperations(manifest: Record<string, string>, options: { compile: boolean; logger: Logger }): PersistedOperations {
  const bySource = new Map<string, PreparedOperation>();
  const byDocument = new WeakMap<DocumentNode, PreparedOperation>();
  /** Documents parsed elsewhere (the MCP facade's), matched once by their printed text. */
  const byPrinted = new Map<string, PreparedOperation>();
  const unprepared = new WeakSet<DocumentNode>();

  type Execute = (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
  /**
   * The compiled query; when it answers without `data` (variables it could not coerce: no resolver
   * ran), graphql-js answers instead, so those errors read as they always did. graphql-jit's field
   * errors carry line and column but no source positions, which yoga needs to keep `locations`:
   * they are rebuilt as graphql-js builds them.
   */
  const executorOf =
    (entry: PreparedOperation & { compiled: CompiledQuery }, executeFn: Execute): Execute =>
    (args) => {
      const { compiled } = entry;
      const answer = (result: ExecutionResult) =>
        !('data' in result) ? executeFn(args) : result.errors?.length ? { ...result, errors: result.errors.map((e) => located(entry.document, e)) } : result;
      const result = compiled.query(args.rootValue, args.contextValue, args.variableValues) as ExecutionResult | Promise<ExecutionResult>;
      return result instanceof Promise ? result.then(answer) : answer(result);
    };

  /** Until every operation is prepared, a document not found may yet be: it is not remembered as unprepared. */
  let complete = false;

  const prepareOne = ({ parse, validate, schema }: PreparingPipeline, hash: string, source: string): void => {
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      options.logger.warn({ hash, err: error }, 'persisted operation refused by the parser; it is not prepared');
      return;
    }
    const errors = validate(document);
    if (errors.length > 0) {
      options.logger.warn({ hash, errors: errors.map((e) => e.message) }, 'persisted operation refused by validation; it is not prepared');
      return;
    }
    const operationName = getOperationAST(document)?.name?.value ?? null;
    const result = options.compile ? compileQuery(schema, document, operationName ?? undefined) : null;
    let compiled: CompiledQuery | null = null;
    if (result && isCompiledQuery(result)) compiled = result;
    else if (result) options.logger.warn({ hash, errors: result.errors?.map((e) => e.message) }, 'graphql-jit declined a persisted operation; it runs uncompiled');
    const entry: PreparedOperation = { hash, source, document, operationName, compiled };
    bySource.set(source, entry);
    byDocument.set(document, entry);
    byPrinted.set(print(document), entry);
  };

  return {
    prepare(pipeline) {
      for (const [hash, source] of Object.entries(manifest)) prepareOne(pipeline, hash, source);
      complete = true;
    },
    async prepareSoon(pipeline) {
      for (const [hash, source] of Object.entries(manifest)) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        prepareOne(pipeline, hash, source);
      }
      complete = true;
    },
    of(document) {
      let entry = byDocument.get(document);
      if (entry || unprepared.has(document)) return entry;
      entry = byPrinted.get(print(document));
      if (entry) byDocument.set(document, entry);
      else if (complete) unprepared.add(document);
      return entry;
    },
    plugin: {
      onParse({ params, setParsedDocument }) {
        const entry = bySource.get(typeof params.source === 'string' ? params.source : params.source.body);
        if (entry) setParsedDocument(entry.document);
      },
      onValidate({ params, setResult }) {
        if (byDocument.has(params.documentAST)) setResult([]);
      },
      onExecute({ args, executeFn, setExecuteFn }) {
        const entry = byDocument.get(args.document);
        if (!entry?.compiled || (args.operationName != null && args.operationName !== entry.operationName)) return;
        setExecuteFn(executorOf(entry as PreparedOperation & { compiled: CompiledQuery }, executeFn as Execute));
      },
    },
  };
}

/** A graphql-jit field error as graphql-js's `locatedError` makes it: positions in the document's source, extensions from the original error. */
function located(document: DocumentNode, error: GraphQLError): GraphQLError {
  const source = document.loc?.source;
  if (!source || !error.locations || error.positions) return error;
  const lineStarts = [0];
  for (let at = source.body.indexOf('\n'); at !== -1; at = source.body.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  const positions = error.locations.map(({ line, column }) => (lineStarts[line - 1] ?? 0) + column - 1);
  return new GraphQLError(error.message, { source, positions, path: error.path ?? null, originalError: error.originalError ?? null });
}
