import { AsyncLocalStorage } from 'node:async_hooks';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { clientRegistrationHandler, type ClientRegistrationHandlerOptions } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import express, { type RequestHandler } from 'express';

/**
 * RFC 9207: every redirect from the authorization endpoint back to the client carries `iss`,
 * including the error redirects the SDK's handler builds itself (a bad `code_challenge_method`, a
 * refused scope); those also get the request's `state` back when the SDK dropped it (RFC 6749
 * §4.1.2.1: it omits `state` when the request fails its schema). Redirects to Pact's own pages
 * are left alone.
 */
export function issOnRedirects(issuer: string): RequestHandler {
  return (req, res, next) => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    res.redirect = ((a: number | string, b?: number | string) => {
      const [status, target] = typeof a === 'number' ? [a, String(b)] : [typeof b === 'number' ? b : 302, a];
      let url = target;
      try {
        const parsed = new URL(target);
        if (!target.startsWith(`${issuer}/oauth/`)) {
          const state = params?.state;
          if (!parsed.searchParams.has('state') && typeof state === 'string' && state !== '') parsed.searchParams.set('state', state);
          if (!parsed.searchParams.has('iss')) parsed.searchParams.set('iss', issuer);
          url = parsed.href;
        }
      } catch {
        // A relative target is one of Pact's own pages.
      }
      redirect(status, url);
    }) as typeof res.redirect;
    next();
  };
}

const registration = new AsyncLocalStorage<{ applicationType: unknown }>();

/**
 * The SDK's RFC 7591 registration handler, with OIDC `application_type` carried to the store (the
 * SDK's metadata schema drops it): the body is parsed first and the value travels alongside the
 * request, so the store applies its redirect rules for that type and echoes it back.
 */
export function registrationEndpoint(store: OAuthRegisteredClientsStore, options: Omit<ClientRegistrationHandlerOptions, 'clientsStore'>): RequestHandler[] {
  const clientsStore: OAuthRegisteredClientsStore = {
    getClient: (id) => store.getClient(id),
    registerClient: async (client) => {
      const applicationType = registration.getStore()?.applicationType;
      const register = store.registerClient?.bind(store);
      if (!register) throw new Error('client registration is not supported');
      return register(applicationType === undefined ? client : ({ ...client, application_type: applicationType } as typeof client));
    },
  };
  const sdk = clientRegistrationHandler({ ...options, clientsStore });
  return [
    express.json(),
    (req, res, next) => {
      const body = req.body as Record<string, unknown> | undefined;
      const applicationType = body && typeof body === 'object' ? body.application_type : undefined;
      registration.run({ applicationType }, () => sdk(req, res, next));
    },
  ];
}
