import { z } from 'zod';
import {
  connectorAccountId,
  connectorKind,
  createConnectorAccountInput,
  UPDATABLE_CONNECTOR_FIELDS,
  updateConnectorAccountInput,
} from '../../common/connector-account-input.js';
import { paymentMethodType } from '../../common/payment.js';
import * as connectors from '../connector-commands.js';
import { merchantProcedure, rest, router } from '../trpc.js';

const TAG = { tag: 'connectors' };
const NEVER_SHOWN = 'Credentials are write-only: an answer names only their hint (sk_test_…4242), never the key or its sealed form.';

const account = z.object({
  id: z.string(),
  kind: connectorKind,
  label: z.string(),
  position: z.number().int().describe('Route order: 1 is tried first'),
  rules: z.object({
    currencies: z.array(z.string()).nullable().describe('ISO-4217 codes; null: any currency'),
    minAmount: z.number().int().nullable(),
    maxAmount: z.number().int().nullable(),
    paymentMethodTypes: z.array(paymentMethodType).nullable().describe('null: any payment method type'),
  }),
  credentialsHint: z.string().nullable().describe('What may be shown of the credentials; null for the simulator'),
  removedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const connectorsRouter = router({
  list: merchantProcedure
    .meta(rest('GET', '/api/v1/connectors', "The merchant's connector accounts in route order", TAG))
    .output(z.array(account))
    .query(({ ctx }) => connectors.listConnectors(ctx)),

  create: merchantProcedure
    .meta(
      rest('POST', '/api/v1/connectors', 'Add a connector account', {
        ...TAG,
        successStatus: 201,
        description: `Stripe accounts need credentials.secretKey, sealed at rest. ${NEVER_SHOWN}`,
      }),
    )
    .input(createConnectorAccountInput)
    .output(account)
    .mutation(({ ctx, input }) => connectors.createConnector(ctx, input)),

  update: merchantProcedure
    .meta(
      rest('PATCH', '/api/v1/connectors/{id}', 'Change, move or re-key a connector account', {
        ...TAG,
        description: `Rules are replaced as a whole; a position moves the account and the others close up. ${NEVER_SHOWN}`,
        bodyRequiresOneOf: UPDATABLE_CONNECTOR_FIELDS,
      }),
    )
    .input(updateConnectorAccountInput)
    .output(account)
    .mutation(({ ctx, input }) => connectors.updateConnector(ctx, input)),

  remove: merchantProcedure
    .meta(
      rest('DELETE', '/api/v1/connectors/{id}', 'Remove a connector account', {
        ...TAG,
        description: 'It no longer routes; payments it took keep naming it. Removing it again answers the same.',
      }),
    )
    .input(z.object({ id: connectorAccountId }).strict())
    .output(account)
    .mutation(({ ctx, input }) => connectors.removeConnector(ctx, input.id)),
});
