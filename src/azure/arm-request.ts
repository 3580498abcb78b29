import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type Pipeline,
  RestError,
} from '@azure/core-rest-pipeline';

/**
 * One ARM request through an SDK client's own pipeline (same credential, same loopback
 * redirect), for the few calls no installed SDK makes (DevTest Labs schedules, resource
 * groups). A status of 300 or more is thrown as the SDKs throw it (a RestError with ARM's
 * error code), so `callAzure` codes it the same way. Returns the parsed body, if any.
 */
export async function sendArm(
  pipeline: Pipeline,
  method: 'GET' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<unknown> {
  const request = createPipelineRequest({
    url,
    method,
    headers: createHttpHeaders({ 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const response = await pipeline.sendRequest(createDefaultHttpClient(), request);
  if (response.status >= 300) {
    const error = (JSON.parse(response.bodyAsText || '{}') as { error?: { code?: string; message?: string } })
      .error;
    throw new RestError(error?.message ?? `HTTP ${response.status}`, {
      code: error?.code ?? String(response.status),
      statusCode: response.status,
      request,
      response,
    });
  }
  return response.bodyAsText ? (JSON.parse(response.bodyAsText) as unknown) : undefined;
}
