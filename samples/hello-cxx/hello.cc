// hello.cc - the sample module in C++ (g++ -fno-exceptions -fno-rtti):
// global objects that modload constructs before module_init and destroys
// after module_exit (modload_run_init, modload_run_fini, with
// samples/ld/modcxx.c linked in), and virtual functions. It keeps the
// contract of samples/hello/hello.c, so that the same firmware runs it:
// module_init returns 0 with fw_led 1, hello_greet counts its calls, and
// fw_led is 0 once the module is gone.
#include <stdint.h>

extern "C" {
void fw_puts(const char *s);
void fw_print_u32(const char *label, uint32_t v);
extern volatile uint32_t fw_led;
extern const char fw_board_name[];
}

namespace {

uint32_t order;   // each constructor appends a digit: 123 when all ran in order

class Shape {     // an interface: calls go through the vtable
public:
    virtual uint32_t area() const = 0;
    virtual const char *name() const = 0;

protected:
    ~Shape() = default;   // not virtual: no operator delete needed
};

class Square : public Shape {
public:
    explicit Square(uint32_t side) : side_(side) { order = order * 10 + 1; }
    uint32_t area() const override { return side_ * side_; }
    const char *name() const override { return "square"; }

private:
    uint32_t side_;
};

class Rect : public Shape {
public:
    Rect(uint32_t w, uint32_t h) : w_(w), h_(h) { order = order * 10 + 2; }
    uint32_t area() const override { return w_ * h_; }
    const char *name() const override { return "rectangle"; }

private:
    uint32_t w_, h_;
};

class Lamp {      // on while the module is loaded
public:
    Lamp() { order = order * 10 + 3; }
    ~Lamp()
    {
        fw_led = 0;
        fw_puts("hello-cxx: destructor: lamp off\n");
    }
    void on() { fw_led = 1; }
};

Square square(3);
Rect rect(2, 5);
Lamp lamp;
const Shape *const shapes[] = {&square, &rect};
uint32_t greetings;

}  // namespace

extern "C" int module_init(void)
{
    fw_puts("hello-cxx: module_init on ");
    fw_puts(fw_board_name);
    fw_puts("\n");
    fw_print_u32("hello-cxx: constructors ran, in order", order);
    if (order != 123)
        return 1;
    uint32_t total = 0;
    for (const Shape *s : shapes) {
        fw_puts(s->name());
        fw_puts(" ");
        total += s->area();
    }
    fw_print_u32("hello-cxx: total area", total);
    lamp.on();
    return total == 3 * 3 + 2 * 5 ? 0 : 2;
}

extern "C" uint32_t hello_greet(const char *who)
{
    fw_puts("hello from C++, ");
    fw_puts(who);
    fw_puts("!\n");
    return ++greetings;
}

extern "C" void module_exit(void)
{
    fw_puts("hello-cxx: module_exit (the lamp's destructor comes next)\n");
}
