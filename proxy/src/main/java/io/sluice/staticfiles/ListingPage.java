package io.sluice.staticfiles;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * A rendered {@code autoindex} page as a response body. Its bytes count against the location's budget
 * for pages waiting to be written until the buffer is released, which happens once it has been written
 * out or dropped with its connection: clients that ask for a big listing and then do not read cannot
 * pile pages up on the heap without bound.
 */
final class ListingPage extends UnpooledHeapByteBuf {
    private final ContentBudget budget;
    private final int reserved;

    /** Takes over {@code page}, whose length the caller reserved from {@code budget}. */
    ListingPage(byte[] page, ContentBudget budget) {
        super(UnpooledByteBufAllocator.DEFAULT, page, page.length);
        this.budget = budget;
        this.reserved = page.length;
    }

    @Override
    protected void deallocate() {
        super.deallocate();
        budget.giveBack(reserved);
    }
}
